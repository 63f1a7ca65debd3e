package dev.loupe.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.activations.Collection;
import dev.loupe.activations.StoreManifest;
import dev.loupe.activations.Verifier;
import dev.loupe.model.ModelLoader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark jobs in local mode (local[2]) write stores equal to the local pipeline's. */
class SparkJobsTest {
    static JavaSparkContext sc;
    @TempDir Path tmp;

    @BeforeAll
    static void start() {
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("loupe-test")
                .set("spark.ui.enabled", "false")
                .set("spark.serializer.extraDebugInfo", "false") // its SerializationDebugger needs a class JDK 24 removed
                .set("spark.driver.host", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.close();
    }

    @Test
    void collectWritesTheSameRowsAsTheLocalPipeline() throws Exception {
        Path data = dev.loupe.activations.TestData.brown(tmp, 6);
        String model = dev.loupe.model.SharedModels.path("stories260K").resolve("stories260K.bin").toString();
        List<String> hooks = List.of("blocks.1.hook_resid_post");
        long maxTokens = 64 * 100, shardBytes = 64 * 7 * 280;
        Collection local = new Collection(data, "text", hooks, 64, tmp.resolve("local"), maxTokens, dev.loupe.model.format.DType.F32, 4, shardBytes);
        Collection onSpark = new Collection(data, "text", hooks, 64, tmp.resolve("spark"), maxTokens, dev.loupe.model.format.DType.F32, 4, shardBytes);
        StoreManifest a = local.run(ModelLoader.load(model, null), new PrintStream(OutputStream.nullOutputStream()));
        StoreManifest b = SparkCollect.run(sc, onSpark, model, 3);
        assertEquals(List.of(), Verifier.verify(tmp.resolve("spark")));
        assertEquals(a.rows(), b.rows());
        assertEquals(a.shards().size(), b.shards().size());
        for (int i = 0; i < a.shards().size(); i++) assertEquals(a.shards().get(i).rows(), b.shards().get(i).rows());
        dev.loupe.activations.TestData.assertSameRows(tmp.resolve("local"), tmp.resolve("spark"));
    }

    @Test
    void shuffleKeepsEveryRowAndMixesShards() throws Exception {
        Path in = tmp.resolve("in");
        StoreManifest src = dev.loupe.activations.TestData.synthetic(in, 8, 500, 8);
        StoreManifest out = SparkShuffle.run(sc, in, tmp.resolve("out"), 3, 4);
        assertEquals(List.of(), Verifier.verify(tmp.resolve("out")));
        assertEquals(src.digest(), out.digest());
        double z = dev.loupe.activations.TestData.shardMixingZ(tmp.resolve("out"), 500);
        assertTrue(Math.abs(z) < 4, "chi-square z " + z);
        assertTrue(Files.exists(tmp.resolve("out").resolve(StoreManifest.FILE)));
    }
}
