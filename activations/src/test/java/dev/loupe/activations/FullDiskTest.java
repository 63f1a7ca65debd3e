package dev.loupe.activations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.format.SmallDisk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Collection and shuffle writing to a real disk that fills up (a small tmpfs, see {@link SmallDisk}): each time the
 * disk fills, the job fails with an error naming the path, the shards committed so far still verify, and once the
 * disk grows the same command resumes and ends with exactly the store of a run that never ran out of space.
 */
class FullDiskTest {
    @TempDir
    Path tmp;

    static long size(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /**
     * The committed part of a store verifies: its only problems are that it is incomplete and (a shuffle) does not
     * hold all its source's rows yet; or nothing was committed yet.
     */
    static void committedPartVerifies(Path store) throws IOException {
        if (StoreManifest.readIfPresent(store) == null) return;
        for (String p : Verifier.verify(store)) assertTrue(p.contains("the store is incomplete") || p.contains("but its source had"), p);
    }

    @Test
    void collectionStoppedByAFullDiskResumesToTheSameRows() throws Exception {
        Path data = CollectFixture.dataset(tmp, 4);
        long maxTokens = 64 * 200, shardBytes = 1 << 20;
        LoadedModel m = ModelLoader.load(CollectFixture.model(), null);
        Path whole = tmp.resolve("whole");
        StoreManifest expected = CollectFixture.collection(data, whole, maxTokens, shardBytes).run(m, CollectTest.QUIET);
        long need = size(whole);
        try (SmallDisk disk = SmallDisk.mount(tmp.resolve("disk"), need)) {
            Path store = disk.dir().resolve("store");
            int fills = disk.fillAndResume(need / 3, need / 3,
                    () -> CollectFixture.collection(data, store, maxTokens, shardBytes).run(m, CollectTest.QUIET), e -> committedPartVerifies(store));
            assertTrue(fills >= 2, "the disk filled " + fills + " times");
            assertEquals(List.of(), Verifier.verify(store));
            assertEquals(expected.rows(), StoreManifest.read(store).rows());
            TestData.assertSameRows(whole, store);
            assertEquals(List.of(), SmallDisk.leftovers(disk.dir()));
        }
    }

    @Test
    void shuffleStoppedByAFullDiskInEitherPassResumesToTheSameStore() throws Exception {
        Path in = tmp.resolve("in");
        SyntheticStore.write(in, 24, 1000, 64);
        long memory = 1 << 20, need = size(in);
        StoreManifest expected = new Shuffler(in, tmp.resolve("whole"), memory, 5, CollectTest.QUIET).run();
        try (SmallDisk disk = SmallDisk.mount(tmp.resolve("disk"), need)) {
            Path out = disk.dir().resolve("shuffled");
            int fills = disk.fillAndResume(need / 4, need / 4, () -> new Shuffler(in, out, memory, 5, CollectTest.QUIET).run(), e -> committedPartVerifies(out));
            assertTrue(fills >= 4, "the disk filled " + fills + " times (in the scatter and the gather pass)");
            assertEquals(List.of(), Verifier.verify(out));
            StoreManifest resumed = StoreManifest.read(out);
            assertEquals(expected.digest(), resumed.digest());
            assertEquals(expected.shards(), resumed.shards(), "byte-identical shards");
            assertEquals(List.of(), SmallDisk.leftovers(disk.dir()));
            assertTrue(Files.notExists(out.resolve(Shuffler.WORK_DIR)), "the shuffle's work folder is gone");
        }
    }
}
