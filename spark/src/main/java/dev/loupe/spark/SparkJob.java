package dev.loupe.spark;

import dev.loupe.activations.Collection;
import dev.loupe.activations.FloatCodec;
import dev.loupe.activations.StoreManifest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * spark-submit entry point:
 * <pre>
 * collect --model SRC --dataset PATH --hook HOOK [--hook ...] --context N --out DIR [--max-tokens N]
 *         [--dtype f32|f16|bf16] [--batch B] [--shard-mb M] [--tasks T]
 * shuffle --in DIR --out DIR [--seed S] [--partitions P]
 * </pre>
 * Paths must be visible at the same place on every node. Tasks default to the cluster's default parallelism.
 */
public final class SparkJob {
    private SparkJob() {}

    public static void main(String[] argv) throws Exception {
        if (argv.length == 0) throw new IllegalArgumentException("usage: SparkJob collect|shuffle --option value ...");
        Map<String, List<String>> o = options(argv);
        SparkConf conf = new SparkConf().setAppName("loupe-" + argv[0])
                .set("spark.serializer.extraDebugInfo", "false"); // its SerializationDebugger needs a class JDK 24 removed
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            int parallel = sc.defaultParallelism();
            StoreManifest m = switch (argv[0]) {
                case "collect" -> SparkCollect.run(sc, new Collection(Path.of(one(o, "dataset", null)), one(o, "text-field", "text"),
                        o.getOrDefault("hook", List.of()), Integer.parseInt(one(o, "context", null)), Path.of(one(o, "out", null)),
                        Long.parseLong(one(o, "max-tokens", "-1")), FloatCodec.parse(one(o, "dtype", "f32")), Integer.parseInt(one(o, "batch", "8")),
                        Long.parseLong(one(o, "shard-mb", "256")) << 20), one(o, "model", null), Integer.parseInt(one(o, "tasks", "" + parallel)));
                case "shuffle" -> SparkShuffle.run(sc, Path.of(one(o, "in", null)), Path.of(one(o, "out", null)),
                        Long.parseLong(one(o, "seed", "0")), Integer.parseInt(one(o, "partitions", "" + parallel)));
                default -> throw new IllegalArgumentException("unknown job '" + argv[0] + "'; expected collect or shuffle");
            };
            System.err.println(argv[0] + ": " + m.rows() + " rows in " + m.shards().size() + " shards (digest " + m.digest() + ")");
        }
    }

    private static Map<String, List<String>> options(String[] argv) {
        Map<String, List<String>> o = new HashMap<>();
        for (int i = 1; i < argv.length; i += 2) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new IllegalArgumentException("expected --name value, got '" + argv[i] + "'");
            o.computeIfAbsent(argv[i].substring(2), k -> new ArrayList<>()).add(argv[i + 1]);
        }
        return o;
    }

    private static String one(Map<String, List<String>> o, String name, String fallback) {
        List<String> v = o.get(name);
        if (v == null || v.isEmpty()) {
            if (fallback == null) throw new IllegalArgumentException("--" + name + " is required");
            return fallback;
        }
        return v.getLast();
    }
}
