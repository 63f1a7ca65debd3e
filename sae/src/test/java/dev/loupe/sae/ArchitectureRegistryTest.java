package dev.loupe.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A new dictionary kind is one class and one registration: it then trains, saves and loads like the built-ins. */
class ArchitectureRegistryTest {
    /** ReLU with an L0-style penalty on the count of active latents and no gradient: enough to exercise every seam. */
    static final class CountedRelu implements SaeArchitecture {
        @Override
        public String name() {
            return "test_counted_relu";
        }

        @Override
        public SparseCodes activate(Latents l, float[] pre, int rows) {
            return SparseCodes.above(pre, rows, l.count(), null);
        }

        @Override
        public double extraLoss(LatentStep s) {
            return s.coefficient * s.codes.nnz() / (double) s.rows;
        }
    }

    @TempDir
    Path dir;

    @Test
    void aRegisteredKindTrainsSavesAndLoads() throws Exception {
        if (!java.util.stream.StreamSupport.stream(SaeArchitectures.names().spliterator(), false).toList().contains("test_counted_relu")) {
            SaeArchitectures.register(new CountedRelu());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> SaeArchitectures.register(new CountedRelu()));
        assertTrue(e.getMessage().contains("already registered"), e.getMessage());
        SaeConfig cfg = new SaeConfig("test_counted_relu", 16, 32, "blocks.0.hook_resid_post", 0, "synthetic", 0, true, "none", 0);
        TrainOptions.Builder o = TrainOptions.builder(20);
        o.batchSize = 64;
        o.coefficient = 0.1;
        StepStats[] last = new StepStats[1];
        Sae sae = new SaeTrainer(cfg, o.build(), new TensorSource(ResumeTest.data(), 16, 9)).onStep((step, st) -> last[0] = st).train();
        assertTrue(last[0].sparsity() > 0 && last[0].fvu() < 1.5, last[0].toString());
        SaeLensFormat.write(sae, dir);
        Sae back = SaeLensFormat.read(dir);
        assertEquals("test_counted_relu", back.config().architecture());
        assertArrayEquals(sae.wDec().data(), back.wDec().data());
    }
}
