package dev.loupe.activations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.format.SmallDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 a child JVM mid-collect and mid-shuffle, rerun, and compare with an uninterrupted run. */
class KillResumeTest {
    @TempDir Path tmp;

    /** Waits until {@code ready}, then kills the child; asserts it was still running (so the kill interrupted it). */
    private static void killWhen(Process p, BooleanSupplier ready, Path log) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!ready.getAsBoolean()) {
            assertTrue(p.isAlive(), () -> "child ended before it could be killed: " + read(log));
            assertTrue(System.nanoTime() < deadline, "timed out waiting for the child");
            Thread.sleep(1);
        }
        assertTrue(p.isAlive(), () -> "child finished before the kill: " + read(log));
        p.destroyForcibly().waitFor();
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static int committedShards(Path dir) {
        try {
            StoreManifest m = StoreManifest.readIfPresent(dir);
            return m == null ? 0 : m.shards().size();
        } catch (Exception e) {
            return 0;
        }
    }

    @Test
    void collectKilledMidRunResumesToTheSameRows() throws Exception {
        Path data = CollectFixture.dataset(tmp, 6);
        long maxTokens = 64 * 600, shardBytes = 64 * 10 * 1000;
        Path store = tmp.resolve("killed");
        Path log = tmp.resolve("child.log");
        Process p = ChildJvm.start("512m", log, "collect", CollectFixture.model(), data.toString(), store.toString(),
                Long.toString(maxTokens), Long.toString(shardBytes));
        killWhen(p, () -> committedShards(store) >= 2, log);
        StoreManifest atKill = StoreManifest.read(store);
        assertFalse(atKill.complete());

        LoadedModel m = ModelLoader.load(CollectFixture.model(), null);
        StoreManifest resumed = CollectFixture.collection(data, store, maxTokens, shardBytes).run(m, CollectTest.QUIET);
        StoreManifest whole = CollectFixture.collection(data, tmp.resolve("whole"), maxTokens, shardBytes).run(m, CollectTest.QUIET);
        assertEquals(List.of(), Verifier.verify(store));
        assertEquals(whole.rows(), resumed.rows());
        assertEquals(whole.shards().size(), resumed.shards().size());
        TestData.assertSameRows(tmp.resolve("whole"), store);
        assertEquals(List.of(), SmallDisk.leftovers(store), "the rerun cleaned the killed run's temporaries");
    }

    @Test
    void shuffleKilledInEachPassResumesToTheSameStore() throws Exception {
        Path in = tmp.resolve("in");
        SyntheticStore.write(in, 120, 2000, 64); // 120 shards of ~0.5 MiB
        long memory = 4 << 20;
        Path out = tmp.resolve("killed");
        Path log = tmp.resolve("child.log");
        Path progress = out.resolve(Shuffler.WORK_DIR).resolve("progress.json");
        Process p = ChildJvm.start("256m", log, "shuffle", in.toString(), out.toString(), Long.toString(memory), "5");
        killWhen(p, () -> Files.exists(progress), log); // during pass 1 (scatter)
        p = ChildJvm.start("256m", log, "shuffle", in.toString(), out.toString(), Long.toString(memory), "5");
        killWhen(p, () -> committedShards(out) >= 1, log); // during pass 2 (gather)
        assertFalse(StoreManifest.read(out).complete());

        StoreManifest resumed = new Shuffler(in, out, memory, 5, CollectTest.QUIET).run();
        StoreManifest whole = new Shuffler(in, tmp.resolve("whole"), memory, 5, CollectTest.QUIET).run();
        assertEquals(List.of(), Verifier.verify(out));
        assertEquals(whole.digest(), resumed.digest());
        assertEquals(whole.shards(), resumed.shards(), "byte-identical shards");
        assertEquals(List.of(), SmallDisk.leftovers(out), "the rerun cleaned the killed runs' temporaries");
        assertFalse(Files.exists(out.resolve(Shuffler.WORK_DIR)), "and the shuffle's work folder");
    }
}
