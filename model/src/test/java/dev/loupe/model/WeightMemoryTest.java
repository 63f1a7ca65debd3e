package dev.loupe.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.Checkpoints;
import org.junit.jupiter.api.Test;

/** A model's memory need is known from its header, and one that cannot fit is refused with the figures. */
class WeightMemoryTest {
    private static final long GIB = 1L << 30;

    @Test
    void theNeedFollowsTheKeptPrecision() throws Exception {
        try (Checkpoint c = Checkpoints.open(SharedModels.path("qwen3-tiny-random-bf16"))) {
            WeightMemory kept = WeightMemory.of(c.weights(), WeightDtype.STORED);
            WeightMemory widened = WeightMemory.of(c.weights(), WeightDtype.F32);
            long matrices = 0, vectors = 0;
            for (String n : c.weights().names()) {
                var info = c.weights().info(n);
                if (info.shape().length == 2) matrices += info.numel();
                else vectors += info.numel();
            }
            assertEquals(2 * (matrices + vectors), kept.checkpointBytes());
            assertEquals(2 * matrices + 4 * vectors, kept.residentBytes(), "BF16 matrices stay 2 bytes, norms widen to 4");
            assertEquals(4 * (matrices + vectors), widened.residentBytes());
            assertTrue(kept.fits());
        }
    }

    @Test
    void aModelThatCannotFitIsRefusedWithTheFigures() {
        var tooBigForHeap = new WeightMemory(16 * GIB, 16 * GIB, 6 * GIB, 20 * GIB);
        var e = assertThrows(IllegalStateException.class, () -> tooBigForHeap.requireFits("llama-3.1-8b"));
        assertTrue(e.getMessage().contains("llama-3.1-8b needs 16.00 GiB") && e.getMessage().contains("6.00 GiB")
                && e.getMessage().contains("LOUPE_JAVA_OPTS"), e.getMessage());
        var tooBigForMachine = new WeightMemory(16 * GIB, 16 * GIB, 20 * GIB, 12 * GIB);
        e = assertThrows(IllegalStateException.class, () -> tooBigForMachine.requireFits("m"));
        assertTrue(e.getMessage().contains("only 12.00 GiB of memory is available"), e.getMessage());
    }
}
