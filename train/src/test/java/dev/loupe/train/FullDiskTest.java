package dev.loupe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.format.SmallDisk;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.WeightStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train-lm} writing to a real disk that fills up (a small tmpfs, see {@link SmallDisk}): each time it fills,
 * training fails with an error naming the path and the last checkpoint is intact; once the disk grows the rerun
 * resumes and writes the same model, byte for byte, as a run that never ran out of space.
 */
class FullDiskTest {
    @Test
    void trainingStoppedByAFullDiskResumesFromItsLastCheckpoint(@TempDir Path dir) throws Exception {
        Path data = TinyCorpus.write(dir, 100);
        Path straight = dir.resolve("straight");
        long steps = 40;
        long[] size = {0};
        TrainLm.run(LmTrainerTest.options(data, straight, false, steps * 256, 10), "test", LmTrainerTest.QUIET, (step, total, loss, tps) -> {
            Path c = straight.resolve(LmTrainer.CHECKPOINT);
            if (Files.exists(c)) size[0] = Math.max(size[0], c.toFile().length());
        });
        long ckpt = SmallDisk.pages(size[0]);
        try (SmallDisk disk = SmallDisk.mount(dir.resolve("disk"), 8 * ckpt)) {
            Path out = disk.dir().resolve("model");
            long[] last = {-1};
            int fills = disk.fillAndResume(ckpt - SmallDisk.PAGE, ckpt,
                    () -> TrainLm.run(LmTrainerTest.options(data, out, false, steps * 256, 10), "test", LmTrainerTest.QUIET, null), e -> {
                        long step = step(out.resolve(LmTrainer.CHECKPOINT));
                        assertTrue(step == -1 && Files.notExists(out.resolve(LmTrainer.CHECKPOINT)) || step >= last[0], "the checkpoint is readable: " + step);
                        last[0] = step;
                    });
            assertTrue(fills >= 2, "the disk filled " + fills + " times");
            assertTrue(last[0] > 0, "a checkpoint survived a full disk: step " + last[0]);
            assertArrayEquals(Files.readAllBytes(straight.resolve("model.safetensors")), Files.readAllBytes(out.resolve("model.safetensors")));
            assertEquals(List.of(), SmallDisk.leftovers(disk.dir()));
            assertTrue(Files.notExists(out.resolve(LmTrainer.CHECKPOINT)));
        }
    }

    /** The step a checkpoint was saved at; -1 when there is none. A damaged one fails the test. */
    private static long step(Path ckpt) throws Exception {
        if (Files.notExists(ckpt)) return -1;
        try (WeightStore ws = SafeTensors.open(ckpt)) {
            return Long.parseLong(ws.metadata().get("step"));
        }
    }
}
