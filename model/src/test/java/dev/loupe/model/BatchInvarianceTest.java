package dev.loupe.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
    @ValueSource(strings = {"gpt2-tiny-random", "stories260K-hf", "pythia-tiny-random", "gemma2-tiny-random", "gemma3-tiny-random",
            "qwen3-tiny-random", "mistral-tiny-random"})
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

    /**
     * A prompt longer than the streamed attention's query block: the logits are the same bits whether attention
     * streams (no hook reads scores or pattern), or one layer materialises its pattern for a hook; and the same bits
     * alone as in a batch.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2-tiny-random", "mistral-tiny-random", "gpt2-tiny-random"})
    void longPromptStreamedOrHookedGivesTheSameBits(String name) {
        HookedTransformer m = SharedModels.load(name);
        Random r = new Random(5);
        int[][] batch = new int[2][Math.min(150, m.config().nCtx())];
        for (int[] row : batch) for (int p = 0; p < row.length; p++) row[p] = r.nextInt(m.config().dVocab());
        Tensor streamed = m.forward(batch);
        ActivationCache cache = new ActivationCache();
        Tensor hooked = m.runWithCache(batch, List.of("blocks.1.attn.hook_pattern"), cache);
        assertArrayEquals(streamed.data(), hooked.data(), "streamed vs materialised attention");
        assertEquals(List.of("blocks.1.attn.hook_pattern"), List.copyOf(cache.names()), "only the hooked layer's pattern is kept");
        Tensor pattern = cache.get("blocks.1.attn.hook_pattern"); // [batch, heads, query_pos, key_pos]
        int keys = pattern.size(3), window = m.config().attention(1).window();
        for (int q = 0; q < keys; q++) {
            for (int k = 0; k < keys; k++) {
                boolean visible = k <= q && (window == 0 || k > q - window);
                if (!visible) assertEquals(0f, pattern.get(0, 0, q, k), "masked pattern entry " + q + ", " + k);
            }
        }
        assertArrayEquals(m.forward(new int[][] {batch[1]}).data(), Arrays.copyOfRange(streamed.data(), streamed.numel() / 2, streamed.numel()),
                "a long prompt alone and in a batch");
    }

    /**
     * Prompts of 1 to 9 tokens, around the row counts where a GEMM could change paths (the unpacked GEMM's
     * few-row path ends at 4 or 8 rows; the packed one has a single-row kernel): each gives the same bits at
     * every hook alone as beside 4 other prompts of its length, with 32-bit and with 16-bit weights.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny-random", "qwen3-tiny-random-bf16"})
    void shortPromptsAloneMatchTheirRowInABatch(String name) {
        HookedTransformer m = SharedModels.load(name);
        Random r = new Random(3);
        for (int len = 1; len <= 9; len++) {
            int[][] batch = new int[5][len];
            for (int[] row : batch) for (int p = 0; p < len; p++) row[p] = r.nextInt(m.config().dVocab());
            ActivationCache one = new ActivationCache(), many = new ActivationCache();
            Tensor logitsOne = m.runWithCache(new int[][] {batch[ROW]}, List.of("*"), one);
            Tensor logitsMany = m.runWithCache(batch, List.of("*"), many);
            for (String hook : one.names()) assertArrayEquals(one.get(hook).data(), row(many.get(hook)), len + " tokens, " + hook);
            assertArrayEquals(logitsOne.data(), row(logitsMany), len + " tokens, logits");
        }
    }

    /** Batch row ROW of a [batch, ...] tensor. */
    private static float[] row(Tensor t) {
        int per = t.numel() / t.size(0);
        return Arrays.copyOfRange(t.data(), ROW * per, (ROW + 1) * per);
    }
}
