package dev.loupe.train;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resuming train-lm under other settings is refused naming the first field that differs (issue 15, item 6). */
class ResumeSettingsTest {
    @Test
    void changedLearningRateOrShapeIsNamed(@TempDir Path dir) throws Exception {
        GptShape shape = new GptShape(1, 8, 2, 16, 8, 10);
        LmRun run = new LmRun(shape, 2, 1000, 3e-3, 1, 0, 0.1, 0, 0.9, 0.95, 1, 10, 10, 0);
        Map<String, Tensor> params = Map.of("w", Tensor.zeros(4));
        AdamW opt = new AdamW(params, Set.of(), 0.9, 0.95, 1e-8, 0);
        Path ckpt = dir.resolve("ckpt.safetensors");
        TrainCheckpoint.save(ckpt, 5, run.fingerprint("data.txt"), Map.of(), params, opt);

        LmRun otherLr = new LmRun(shape, 2, 1000, 1e-3, 1, 0, 0.1, 0, 0.9, 0.95, 1, 10, 10, 0);
        var e = assertThrows(IllegalArgumentException.class, () -> TrainCheckpoint.load(ckpt, otherLr.fingerprint("data.txt"), params, opt));
        assertTrue(e.getMessage().contains(ckpt.toString()) && e.getMessage().contains("lr: the checkpoint has 0.003, this run has 0.001"), e.getMessage());

        LmRun wider = new LmRun(new GptShape(1, 16, 2, 16, 8, 10), 2, 1000, 3e-3, 1, 0, 0.1, 0, 0.9, 0.95, 1, 10, 10, 0);
        e = assertThrows(IllegalArgumentException.class, () -> TrainCheckpoint.load(ckpt, wider.fingerprint("data.txt"), params, opt));
        assertTrue(e.getMessage().contains("dModel: the checkpoint has 8, this run has 16"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> TrainCheckpoint.load(ckpt, run.fingerprint("other.txt"), params, opt));
        assertTrue(e.getMessage().contains("data: the checkpoint has data.txt, this run has other.txt"), e.getMessage());
    }
}
