package dev.loupe.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark jobs in local mode (local[2]) write stores equal to the local pipeline's, and a job cancelled as a
 * whole resumes from the tasks it committed.
 */
class SparkJobsTest {
    static JavaSparkContext sc;
    @TempDir Path tmp;

    @BeforeAll
    static void start() {
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("loupe-test")
                .set("spark.ui.enabled", "false")
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
        StoreManifest b = SparkCollect.run(sc, onSpark, ModelRef.shared(model, Path.of(model)), 3);
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

    @Test
    void collectCancelledAsAWholeResumesFromItsCommittedShards() throws Exception {
        Path data = dev.loupe.activations.TestData.brown(tmp, 6);
        String model = dev.loupe.model.SharedModels.path("stories260K").resolve("stories260K.bin").toString();
        List<String> hooks = List.of("blocks.1.hook_resid_post");
        long maxTokens = 64 * 100, shardBytes = 64 * 7 * 280;
        Collection local = new Collection(data, "text", hooks, 64, tmp.resolve("local"), maxTokens, dev.loupe.model.format.DType.F32, 4, shardBytes);
        Collection onSpark = new Collection(data, "text", hooks, 64, tmp.resolve("spark"), maxTokens, dev.loupe.model.format.DType.F32, 4, shardBytes);
        local.run(ModelLoader.load(model, null), new PrintStream(OutputStream.nullOutputStream()));
        ModelRef ref = ModelRef.shared(model, Path.of(model));
        CancelMidJob cancel = new CancelMidJob(2); // job 1 counts tokens, job 2 collects
        sc.sc().addSparkListener(cancel);
        try {
            assertThrows(Exception.class, () -> SparkCollect.run(sc, onSpark, ref, 15));
        } finally {
            sc.sc().removeSparkListener(cancel);
        }
        StoreManifest partial = StoreManifest.read(tmp.resolve("spark"));
        assertFalse(partial.complete());
        int total = StoreManifest.read(tmp.resolve("local")).shards().size();
        assertTrue(partial.shards().size() > 0 && partial.shards().size() < total, partial.shards().size() + " of " + total + " shards committed");
        // loupe collect cannot continue it (its shards need not be contiguous) and says so.
        var refused = assertThrows(IllegalArgumentException.class,
                () -> onSpark.run(ModelLoader.load(model, null), new PrintStream(OutputStream.nullOutputStream())));
        assertTrue(refused.getMessage().contains("loupe spark collect"), refused.getMessage());
        StoreManifest done = SparkCollect.run(sc, onSpark, ref, 15);
        assertTrue(done.complete());
        assertEquals(List.of(), Verifier.verify(tmp.resolve("spark")));
        dev.loupe.activations.TestData.assertSameRows(tmp.resolve("local"), tmp.resolve("spark"));
        for (StoreManifest.Shard s : partial.shards()) assertTrue(done.shards().contains(s), s.file() + " was kept, not rewritten");
    }

    @Test
    void shuffleCancelledAsAWholeResumesToTheSameFiles() throws Exception {
        Path in = tmp.resolve("in");
        dev.loupe.activations.TestData.synthetic(in, 8, 500, 8);
        StoreManifest whole = SparkShuffle.run(sc, in, tmp.resolve("whole"), 3, 12);
        CancelMidJob cancel = new CancelMidJob(1);
        sc.sc().addSparkListener(cancel);
        try {
            assertThrows(Exception.class, () -> SparkShuffle.run(sc, in, tmp.resolve("out"), 3, 12));
        } finally {
            sc.sc().removeSparkListener(cancel);
        }
        StoreManifest partial = StoreManifest.read(tmp.resolve("out"));
        assertFalse(partial.complete());
        assertTrue(partial.shards().size() > 0 && partial.shards().size() < whole.shards().size(), partial.shards().size() + " committed");
        // loupe shuffle cannot continue it and leaves it as it is.
        assertThrows(IllegalArgumentException.class,
                () -> new dev.loupe.activations.Shuffler(in, tmp.resolve("out"), 1 << 20, 3, new PrintStream(OutputStream.nullOutputStream())).run());
        assertEquals(partial, StoreManifest.read(tmp.resolve("out")));
        StoreManifest resumed = SparkShuffle.run(sc, in, tmp.resolve("out"), 3, 5); // the first run's partition count wins
        assertEquals(List.of(), Verifier.verify(tmp.resolve("out")));
        assertEquals(whole.shards(), resumed.shards());
        assertEquals(whole.digest(), resumed.digest());
    }

    /** Cancels every job once the first task of the {@code n}-th job's result stage has succeeded. */
    static final class CancelMidJob extends SparkListener {
        private final int n;
        private final AtomicInteger jobs = new AtomicInteger();
        private volatile int resultStage = -1;
        private final AtomicBoolean cancelled = new AtomicBoolean();

        CancelMidJob(int n) {
            this.n = n;
        }

        @Override
        public void onJobStart(SparkListenerJobStart e) {
            if (jobs.incrementAndGet() == n) {
                int max = -1;
                for (Object id : scala.jdk.javaapi.CollectionConverters.asJava(e.stageIds())) max = Math.max(max, (Integer) id);
                resultStage = max;
            }
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd e) {
            if (e.stageId() == resultStage && e.taskInfo().successful() && cancelled.compareAndSet(false, true)) sc.cancelAllJobs();
        }
    }
}
