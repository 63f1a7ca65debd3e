package dev.loupe.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.activations.Collection;
import dev.loupe.activations.Shuffler;
import dev.loupe.activations.StoreManifest;
import dev.loupe.activations.TestData;
import dev.loupe.activations.Verifier;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.DType;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.spark.ExecutorLostFailure;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark jobs on a real standalone cluster: a master and two workers, each a separate JVM on loopback,
 * whose executors are further JVMs that get Loupe's jars and the model only through the job (spark.jars and
 * the shipped model archive). Collection must give the local pipeline's rows, and the shuffle the local
 * shuffle's row digest, also when one executor is killed in the middle of the shuffle's reduce stage.
 */
class StandaloneClusterIT {
    @TempDir Path tmp;

    @Test
    void collectAndShuffleOnTwoWorkersMatchTheLocalPipelineAndSurviveAKilledExecutor() throws Exception {
        Path data = TestData.brown(tmp, 6);
        String model = SharedModels.path("stories260K").resolve("stories260K.bin").toString();
        String hook = "blocks.1.hook_resid_post";
        long maxTokens = 64 * 100, shardBytes = 64 * 7 * 280;
        Path local = tmp.resolve("local"), localShuffled = tmp.resolve("local-shuffled");
        new Collection(data, "text", List.of(hook), 64, local, maxTokens, DType.F32, 4, shardBytes)
                .run(ModelLoader.load(model, null), new PrintStream(OutputStream.nullOutputStream()));
        StoreManifest localShuffle = new Shuffler(local, localShuffled, 1 << 20, 5, new PrintStream(OutputStream.nullOutputStream())).run();

        List<ProcessHandle> started = new ArrayList<>();
        try (LoopbackCluster cluster = new LoopbackCluster(Path.of("spark/target/spark-home"), 2, "768m", tmp.resolve("cluster"), 0)) {
            started.addAll(cluster.processes());
            try (JavaSparkContext sc = new JavaSparkContext(SparkJob.conf(cluster.url(), "loupe-cluster-test")
                    .set("spark.jars", shippedJars())
                    .set("spark.driver.host", "127.0.0.1")
                    .set("spark.driver.bindAddress", "127.0.0.1")
                    .set("spark.ui.enabled", "false")
                    .set("spark.executor.memory", "512m"))) {
                // Collection with the model shipped to the executors: the local pipeline's rows.
                Path collected = tmp.resolve("collected");
                StoreManifest c = SparkJob.run(sc, "collect", Map.of("model", List.of(model), "data", List.of(data.toString()),
                        "hook", List.of(hook), "context", List.of("64"), "out", List.of(collected.toString()),
                        "max-tokens", List.of("" + maxTokens), "batch", List.of("4"), "tasks", List.of("4"),
                        "shard-mb", List.of(Double.toString(shardBytes / 1048576.0))));
                assertEquals(List.of(), Verifier.verify(collected));
                TestData.assertSameRows(local, collected);
                assertEquals(StoreManifest.read(local).shards().size(), c.shards().size());
                List<ProcessHandle> executors = cluster.workers().stream().flatMap(Process::descendants).toList();
                started.addAll(cluster.processes());
                assertTrue(executors.size() >= 2, "each worker launched an executor JVM: " + executors);

                // The shuffle of the local store: the local shuffle's digest.
                Path shuffled = tmp.resolve("shuffled");
                StoreManifest s = SparkJob.run(sc, "shuffle", Map.of("in", List.of(local.toString()), "out", List.of(shuffled.toString()),
                        "seed", List.of("5"), "partitions", List.of("6")));
                assertEquals(List.of(), Verifier.verify(shuffled));
                assertEquals(localShuffle.digest(), s.digest());
                assertEquals(localShuffle.rows(), s.rows());

                // Again, killing the executor that runs the first reduce task: Spark recomputes the lost map output
                // and retries the task on the replacement executor; the store is byte-identical.
                KillOnce killer = new KillOnce(cluster);
                sc.sc().addSparkListener(killer);
                Path again = tmp.resolve("shuffled-again");
                StoreManifest k = SparkJob.run(sc, "shuffle", Map.of("in", List.of(local.toString()), "out", List.of(again.toString()),
                        "seed", List.of("5"), "partitions", List.of("6")));
                sc.sc().removeSparkListener(killer);
                assertTrue(killer.killed.get() != null, "an executor was killed mid-shuffle");
                assertTrue(killer.removed.get() >= 1, "Spark saw the executor go");
                assertTrue(killer.lostTasks.get() >= 1, "the task running on it failed and was retried");
                assertEquals(List.of(), Verifier.verify(again));
                assertEquals(s.digest(), k.digest());
                assertEquals(s.shards(), k.shards()); // same files, sizes, SHA-256 and digests
                started.addAll(cluster.processes());
            }
        } finally {
            for (ProcessHandle p : started) p.destroyForcibly(); // leftovers only: close() has ended them
        }
        for (ProcessHandle p : started) assertFalse(p.isAlive(), "process " + p.pid() + " still runs");
    }

    /** Loupe's jars as the launcher ships them: the module's jar and its runtime libraries. */
    private static String shippedJars() throws IOException {
        Path target = Path.of("spark/target");
        List<String> jars = new ArrayList<>(List.of(target.resolve("loupe-spark.jar").toAbsolutePath().toString()));
        try (Stream<Path> s = Files.list(target.resolve("lib"))) {
            s.sorted().forEach(p -> jars.add(p.toAbsolutePath().toString()));
        }
        return String.join(",", jars);
    }

    /** Kills (SIGKILL) the executor JVM running the first task of a stage that reads a shuffle. */
    static final class KillOnce extends SparkListener {
        final LoopbackCluster cluster;
        final Set<Integer> reduceStages = ConcurrentHashMap.newKeySet();
        final AtomicReference<String> killed = new AtomicReference<>();
        final AtomicInteger removed = new AtomicInteger();
        final AtomicInteger lostTasks = new AtomicInteger();

        KillOnce(LoopbackCluster cluster) {
            this.cluster = cluster;
        }

        @Override
        public void onStageSubmitted(SparkListenerStageSubmitted e) {
            if (!e.stageInfo().parentIds().isEmpty()) reduceStages.add(e.stageInfo().stageId());
        }

        @Override
        public void onTaskStart(SparkListenerTaskStart e) {
            String id = e.taskInfo().executorId();
            if (reduceStages.contains(e.stageId()) && killed.compareAndSet(null, id)) {
                cluster.executor(id).orElseThrow(() -> new IllegalStateException("no executor JVM with id " + id)).destroyForcibly();
            }
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd e) {
            if (e.reason() instanceof ExecutorLostFailure) lostTasks.incrementAndGet();
        }

        @Override
        public void onExecutorRemoved(SparkListenerExecutorRemoved e) {
            removed.incrementAndGet();
        }
    }
}
