package dev.loupe.spark;

import dev.loupe.activations.Collection;
import dev.loupe.activations.FloatCodec;
import dev.loupe.activations.StoreManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Entry point of {@code ./loupe spark} and of spark-submit:
 * <pre>
 * collect --model SRC --data PATH [--field NAME] --hook HOOK [--hook ...] --context N --out DIR [--max-tokens N]
 *         [--dtype f32|f16|bf16] [--batch B] [--shard-mb M] [--tasks T] [--ship-model true|false]
 * shuffle --in DIR --out DIR [--seed S] [--partitions P]
 * cluster --workers N [--worker-memory 1g] [--port P]     (a standalone cluster on loopback, until killed)
 * </pre>
 * {@code --master URL} picks the cluster (else spark-submit's or {@code spark.master}). The dataset and the
 * input and output folders must be at the same path on every node; the model is shipped to the executors
 * with the job unless {@code --ship-model false}. Tasks default to the cluster's default parallelism.
 */
public final class SparkJob {
    /** JVM options every executor needs for Loupe's classes (the Vector API kernels), added to the user's. */
    static final String EXECUTOR_JAVA_OPTIONS = "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC";

    /** Options renamed as in the rest of the CLI. */
    private static final Map<String, String> RENAMED = Map.of("dataset", "data", "text-field", "field");

    private SparkJob() {}

    public static void main(String[] argv) throws Exception {
        if (argv.length == 0) throw new IllegalArgumentException("usage: SparkJob collect|shuffle|cluster --option value ...");
        Map<String, List<String>> o = options(argv);
        if (argv[0].equals("cluster")) {
            LoopbackCluster.main(o);
            return;
        }
        try (JavaSparkContext sc = new JavaSparkContext(conf(o.containsKey("master") ? one(o, "master", null) : null, "loupe-" + argv[0]))) {
            long t0 = System.nanoTime();
            StoreManifest m = run(sc, argv[0], o);
            System.err.printf("%s: %d rows in %d shards (digest %s) in %.1f s%n", argv[0], m.rows(), m.shards().size(), m.digest(),
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    /**
     * Spark's configuration for a Loupe job: {@code spark.*} system properties and spark-submit's settings,
     * the master when given, and the executors' JVM options appended to any the user set.
     */
    public static SparkConf conf(String master, String appName) {
        SparkConf conf = new SparkConf().setAppName(appName);
        if (master != null) conf.setMaster(master);
        String user = conf.get("spark.executor.extraJavaOptions", "");
        if (!user.contains("jdk.incubator.vector")) conf.set("spark.executor.extraJavaOptions", (user + " " + EXECUTOR_JAVA_OPTIONS).strip());
        return conf;
    }

    /** Runs job {@code name} (collect or shuffle) with {@code o}'s options on {@code sc}. */
    public static StoreManifest run(JavaSparkContext sc, String name, Map<String, List<String>> o) throws IOException {
        int parallel = sc.defaultParallelism();
        return switch (name) {
            case "collect" -> {
                String model = one(o, "model", null);
                Path scratch = Files.createTempDirectory("loupe-spark-");
                try {
                    Path resolved = ExecutorModels.get(model).source();
                    ModelRef ref = Boolean.parseBoolean(one(o, "ship-model", "true"))
                            ? ModelRef.ship(sc, model, resolved, scratch) : ModelRef.shared(model, resolved);
                    yield SparkCollect.run(sc, new Collection(Path.of(one(o, "data", null)), one(o, "field", "text"),
                            o.getOrDefault("hook", List.of()), Integer.parseInt(one(o, "context", null)), Path.of(one(o, "out", null)),
                            Long.parseLong(one(o, "max-tokens", "-1")), FloatCodec.parse(one(o, "dtype", "f32")), Integer.parseInt(one(o, "batch", "8")),
                            (long) (Double.parseDouble(one(o, "shard-mb", "256")) * (1 << 20))), ref, Integer.parseInt(one(o, "tasks", "" + parallel)));
                } finally {
                    try (var files = Files.walk(scratch)) {
                        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
                    }
                }
            }
            case "shuffle" -> SparkShuffle.run(sc, Path.of(one(o, "in", null)), Path.of(one(o, "out", null)),
                    Long.parseLong(one(o, "seed", "0")), Integer.parseInt(one(o, "partitions", "" + parallel)));
            default -> throw new IllegalArgumentException("unknown job '" + name + "'; expected collect, shuffle or cluster");
        };
    }

    /** {@code --name value} pairs after the job name; a name may repeat ({@code --hook}). Old names are errors naming the new. */
    public static Map<String, List<String>> options(String[] argv) {
        Map<String, List<String>> o = new HashMap<>();
        for (int i = 1; i < argv.length; i += 2) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new IllegalArgumentException("expected --name value, got '" + argv[i] + "'");
            String renamed = RENAMED.get(argv[i].substring(2));
            if (renamed != null) throw new IllegalArgumentException(argv[i] + " is now --" + renamed);
            o.computeIfAbsent(argv[i].substring(2), k -> new ArrayList<>()).add(argv[i + 1]);
        }
        return o;
    }

    static String one(Map<String, List<String>> o, String name, String fallback) {
        List<String> v = o.get(name);
        if (v == null || v.isEmpty()) {
            if (fallback == null) throw new IllegalArgumentException("--" + name + " is required");
            return fallback;
        }
        return v.getLast();
    }
}
