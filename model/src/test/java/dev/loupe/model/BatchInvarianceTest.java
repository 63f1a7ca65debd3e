package dev.loupe.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.loupe.core.Tensor;
import dev.loupe.model.hooks.ActivationCache;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A prompt's activations do not depend on what it is batched with: run alone, and as one row of a batch
 * of 8 with other prompts, it gives the same bits at every hook and in the logits (with hooks off too,
 * where attention runs fused).
 */
class BatchInvarianceTest {
    private static final int BATCH = 8, ROW = 3, POS = 7;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny-random", "stories260K-hf", "pythia-tiny-random"})
    void aPromptAloneMatchesItsRowInABatch(String name) {
        HookedTransformer m = SharedModels.load(name);
        Random r = new Random(11);
        int vocab = m.config().dVocab();
        int[][] batch = new int[BATCH][POS];
        for (int[] row : batch) for (int p = 0; p < POS; p++) row[p] = r.nextInt(vocab);
        int[][] alone = {batch[ROW]};

        ActivationCache one = new ActivationCache(), many = new ActivationCache();
        Tensor logitsOne = m.runWithCache(alone, List.of("*"), one);
        Tensor logitsMany = m.runWithCache(batch, List.of("*"), many);
        for (String hook : one.names()) assertArrayEquals(one.get(hook).data(), row(many.get(hook)), hook);
        assertArrayEquals(logitsOne.data(), row(logitsMany), "logits");
        assertArrayEquals(m.forward(alone).data(), row(m.forward(batch)), "logits without hooks");
    }

    /** Batch row ROW of a [batch, ...] tensor. */
    private static float[] row(Tensor t) {
        int per = t.numel() / t.size(0);
        return Arrays.copyOfRange(t.data(), ROW * per, (ROW + 1) * per);
    }
}
