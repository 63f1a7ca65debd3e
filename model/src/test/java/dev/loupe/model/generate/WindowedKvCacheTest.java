package dev.loupe.model.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.KvCache;
import dev.loupe.model.SharedModels;
import dev.loupe.model.hooks.Hooks;
import java.util.Arrays;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The KV cache of a sliding-window layer holds only its window (a ring), and decoding through it, with a prompt
 * and a generation far longer than the window (4 keys in these models) and past the attention's key blocks,
 * equals full forwards.
 */
class WindowedKvCacheTest {
    private static final int PROMPT = 20, LENGTH = 300;

    @ParameterizedTest
    @ValueSource(strings = {"mistral-tiny-random", "gemma2-tiny-random", "gemma3-tiny-random"})
    void windowedLayersHoldTheirWindowAndDecodeAsFullForwards(String name) {
        HookedTransformer m = SharedModels.load(name);
        int[] seq = new Random(7).ints(LENGTH, 0, m.config().dVocab()).toArray();
        KvCache kv = new KvCache(m.config(), 1, LENGTH);
        int windowed = 0;
        for (int l = 0; l < m.config().nLayers(); l++) {
            int window = m.config().attention(l).window();
            assertEquals(window > 0 ? window : LENGTH, kv.positionsHeld(l), name + " block " + l);
            if (window > 0) windowed++;
        }
        assertTrue(windowed > 0, name + " has sliding-window layers");

        Tensor full = m.forward(new int[][] {seq});
        int vocab = m.config().dVocab();
        Hooks none = Hooks.none(m.hooks());
        Tensor prefill = m.forward(new int[][] {Arrays.copyOf(seq, PROMPT)}, none, kv, ForwardOptions.FULL);
        assertClose(full, 0, prefill, 0, PROMPT * vocab, name + " prefill");
        for (int p = PROMPT; p < LENGTH; p++) {
            Tensor step = m.forward(new int[][] {{seq[p]}}, none, kv, ForwardOptions.LAST_LOGITS);
            assertClose(full, p * vocab, step, 0, vocab, name + " position " + p);
        }
        assertEquals(LENGTH, kv.length());
    }

    /** A hook on the pattern sees keys from position 0 (zeros before the window), and the logits keep their bits. */
    @ParameterizedTest
    @ValueSource(strings = {"mistral-tiny-random", "gemma2-tiny-random"})
    void aPatternHookSeesAbsoluteKeysWithTheSameBits(String name) {
        HookedTransformer m = SharedModels.load(name);
        int[] seq = new Random(3).ints(LENGTH, 0, m.config().dVocab()).toArray();
        KvCache plain = new KvCache(m.config(), 1, LENGTH), hooked = new KvCache(m.config(), 1, LENGTH);
        int[] widths = new int[1];
        float[][] lastRow = new float[1][];
        Hooks withPattern = Hooks.builder(m.hooks()).add("blocks.0.attn.hook_pattern", (x, ctx) -> {
            widths[0] = x.size(3);
            lastRow[0] = x.data();
            return x;
        }).build();
        m.forward(new int[][] {Arrays.copyOf(seq, PROMPT)}, Hooks.none(m.hooks()), plain, ForwardOptions.FULL);
        m.forward(new int[][] {Arrays.copyOf(seq, PROMPT)}, withPattern, hooked, ForwardOptions.FULL);
        for (int p = PROMPT; p < LENGTH; p++) {
            Tensor a = m.forward(new int[][] {{seq[p]}}, Hooks.none(m.hooks()), plain, ForwardOptions.LAST_LOGITS);
            Tensor b = m.forward(new int[][] {{seq[p]}}, withPattern, hooked, ForwardOptions.LAST_LOGITS);
            assertArrayEquals(a.data(), b.data(), name + " position " + p);
            assertEquals(p + 1, widths[0], "pattern keys at position " + p);
        }
        int window = m.config().attention(0).window();
        float[] pattern = lastRow[0]; // [1, heads, 1, LENGTH]: zero outside the last window keys
        for (int h = 0; h < m.config().nHeads(); h++) {
            double sum = 0;
            for (int j = 0; j < LENGTH; j++) {
                float e = pattern[h * LENGTH + j];
                if (j < LENGTH - window) assertEquals(0f, e, "head " + h + " key " + j);
                sum += e;
            }
            assertEquals(1.0, sum, 1e-5);
        }
    }

    /** Greedy decoding through the ring equals greedy decoding by full forwards, token for token. */
    @ParameterizedTest
    @ValueSource(strings = {"mistral-tiny-random", "gemma2-tiny-random", "gemma3-tiny-random"})
    void cachedGreedyPastTheWindowEqualsFullForwards(String name) {
        HookedTransformer m = SharedModels.load(name);
        int[] prompt = new Random(5).ints(PROMPT, 0, m.config().dVocab()).toArray();
        int steps = 40;
        int[] cached = new Generator(m).generate(new int[][] {prompt}, steps, Sampling.GREEDY, OptionalInt.empty(), Hooks.none(m.hooks()), null)[0];
        int[] seq = Arrays.copyOf(prompt, PROMPT + steps);
        for (int p = PROMPT; p < seq.length; p++) {
            float[] logits = m.forward(new int[][] {Arrays.copyOf(seq, p)}, Hooks.none(m.hooks()), null, ForwardOptions.LAST_LOGITS).data();
            int best = 0;
            for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
            seq[p] = best;
        }
        assertArrayEquals(Arrays.copyOfRange(seq, PROMPT, seq.length), cached, name);
    }

    private static void assertClose(Tensor a, int aOff, Tensor b, int bOff, int n, String what) {
        double maxAbs = 0, maxErr = 0;
        for (int i = 0; i < n; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(a.data()[aOff + i]));
            maxErr = Math.max(maxErr, Math.abs(a.data()[aOff + i] - b.data()[bOff + i]));
        }
        assertTrue(maxErr <= 1e-5 * maxAbs, what + ": cached decode differs by " + maxErr + " of " + maxAbs);
    }
}
