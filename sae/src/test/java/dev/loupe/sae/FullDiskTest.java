package dev.loupe.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.format.SmallDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * SAE and transcoder training and {@code sae features} writing to a real disk that fills up (a small tmpfs, see
 * {@link SmallDisk}): each time it fills, the job fails with an error naming the path, the last checkpoint (or the
 * previous feature store) is intact, and once the disk grows the rerun resumes and ends byte-identical to a run that
 * never ran out of space, with no temporaries left.
 */
class FullDiskTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"sae", "clt", "plt"})
    void trainingStoppedByAFullDiskResumesFromItsLastCheckpoint(String kind) throws Exception {
        Path straight = dir.resolve("straight"), straightCkpt = dir.resolve("straight.ckpt");
        ResumeChild.train(kind, straightCkpt, straight, (s, st) -> {});
        long ckptBytes = SmallDisk.pages(Files.size(straightCkpt));
        try (SmallDisk disk = SmallDisk.mount(dir.resolve("disk"), 4 * ckptBytes)) {
            Path ckpt = disk.dir().resolve("train.ckpt");
            long[] steps = {-1};
            // starts with room for less than one checkpoint; then one fits but not a second beside it (the atomic write's temporary); then both
            int fills = disk.fillAndResume(ckptBytes - SmallDisk.PAGE, ckptBytes, () -> ResumeChild.train(kind, ckpt, dir.resolve("resumed"), (s, st) -> {}), e -> {
                long step = ResumeTest.checkpointStep(ckpt);
                assertTrue(step == -1 && Files.notExists(ckpt) || step > steps[0], "the last checkpoint is readable and later than before: " + step);
                steps[0] = step;
            });
            assertEquals(2, fills, "the disk filled before the first checkpoint, then before the second");
            assertEquals(List.of(), SmallDisk.leftovers(disk.dir()));
        }
        try (var files = Files.list(straight)) {
            for (Path f : files.toList()) assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(dir.resolve("resumed").resolve(f.getFileName())), f.toString());
        }
    }

    @Test
    void featureScanOnAFullDiskKeepsThePreviousStoreAndLeavesNoJournal() throws Exception {
        int dSae = 1024;
        Path straight = dir.resolve("straight.db"), small = dir.resolve("small.db");
        FeatureScanChild.scan(straight, dSae);
        FeatureScanChild.scan(small, 64);
        try (SmallDisk disk = SmallDisk.mount(dir.resolve("disk"), 4 * Files.size(straight))) {
            Path db = disk.dir().resolve("features.db");
            Files.copy(small, db);
            byte[] previous = Files.readAllBytes(db);
            int fills = disk.fillAndResume(Files.size(straight) / 3, Files.size(straight) / 3, () -> FeatureScanChild.scan(db, dSae), e -> {
                assertArrayEquals(previous, Files.readAllBytes(db), "the previous store is intact");
                assertEquals(List.of(), SmallDisk.leftovers(disk.dir()), "no temporary or journal left");
            });
            assertTrue(fills >= 2, "the disk filled " + fills + " times");
            assertArrayEquals(Files.readAllBytes(straight), Files.readAllBytes(db));
            assertEquals(List.of(), SmallDisk.leftovers(disk.dir()));
        }
    }
}
