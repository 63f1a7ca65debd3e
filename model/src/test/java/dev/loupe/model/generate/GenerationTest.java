package dev.loupe.model.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.KvCache;
import dev.loupe.model.SharedModels;
import dev.loupe.model.hooks.Hooks;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** KV-cached decoding equals full forwards; sampling options; hooks at every step with positions. */
class GenerationTest {
    @ParameterizedTest
    @ValueSource(strings = {"stories260K-hf", "gpt2-tiny-random", "pythia-tiny-random", "stories260K/stories260K.bin",
            "gemma2-tiny-random", "gemma3-tiny-random", "qwen3-tiny-random", "mistral-tiny-random"})
    void cachedDecodeMatchesFullForward(String name) {
        HookedTransformer m = SharedModels.load(name);
        int[] seq = {1, 17, 42, 99, 7, 300, 12, 5};
        Tensor full = m.forward(new int[][] {seq});
        int vocab = m.config().dVocab();
        KvCache kv = new KvCache(m.config(), 1, seq.length);
        Hooks none = Hooks.none(m.hooks());
        Tensor prefill = m.forward(new int[][] {java.util.Arrays.copyOf(seq, 3)}, none, kv, ForwardOptions.FULL);
        assertClose(full, 0, prefill, 0, 3 * vocab);
        for (int p = 3; p < seq.length; p++) {
            Tensor step = m.forward(new int[][] {{seq[p]}}, none, kv, ForwardOptions.LAST_LOGITS);
            assertClose(full, p * vocab, step, 0, vocab);
        }
        assertEquals(seq.length, kv.length());
    }

    /** Sliding windows (4 keys), soft-caps and two rotary tables hold over 24 cached steps, far past the window. */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2-tiny-random", "gemma3-tiny-random", "qwen3-tiny-random", "mistral-tiny-random"})
    void cachedGreedyDecodingEqualsGreedyByFullForwards(String name) {
        HookedTransformer m = SharedModels.load(name);
        int[] prompt = {2, 17, 420, 99, 7};
        int steps = 24;
        int[] cached = new Generator(m).generate(new int[][] {prompt}, steps, Sampling.GREEDY, OptionalInt.empty(), Hooks.none(m.hooks()), null)[0];
        int[] seq = java.util.Arrays.copyOf(prompt, prompt.length + steps);
        for (int p = prompt.length; p < seq.length; p++) {
            Tensor logits = m.forward(new int[][] {java.util.Arrays.copyOf(seq, p)}, Hooks.none(m.hooks()), null, ForwardOptions.LAST_LOGITS);
            seq[p] = argmax(logits.data());
        }
        // (the random Gemma models, with tied embeddings scaled by sqrt(d_model), greedily repeat their last token;
        // cachedDecodeMatchesFullForward compares every step's logits for them as well)
        assertArrayEquals(java.util.Arrays.copyOfRange(seq, prompt.length, seq.length), cached, name + ": cached vs full-forward greedy tokens");
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static void assertClose(Tensor a, int aOff, Tensor b, int bOff, int n) {
        double maxAbs = 0, maxErr = 0;
        for (int i = 0; i < n; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(a.data()[aOff + i]));
            maxErr = Math.max(maxErr, Math.abs(a.data()[aOff + i] - b.data()[bOff + i]));
        }
        assertTrue(maxErr <= 1e-5 * maxAbs, "cached decode differs: " + maxErr + " of " + maxAbs);
    }

    @Test
    void hooksFireAtPrefillAndEveryDecodeStepWithAbsolutePositions() {
        HookedTransformer m = SharedModels.load("stories260K-hf");
        List<int[]> seen = new ArrayList<>();
        Hooks hooks = Hooks.builder(m.hooks()).add("blocks.0.hook_resid_pre", (x, ctx) -> {
            seen.add(new int[] {ctx.startPosition(), x.size(1)});
            return x;
        }).build();
        new Generator(m).generate(new int[][] {{1, 403, 407}}, 4, Sampling.GREEDY, OptionalInt.empty(), hooks, null);
        assertEquals(4, seen.size());
        assertArrayEquals(new int[] {0, 3}, seen.get(0));
        for (int s = 1; s < 4; s++) assertArrayEquals(new int[] {2 + s, 1}, seen.get(s));
    }

    @Test
    void samplingIsSeededAndRespectsTopK() {
        HookedTransformer m = SharedModels.load("stories260K-hf");
        Generator g = new Generator(m);
        int[][] prompt = {{1}};
        Hooks none = Hooks.none(m.hooks());
        int[] a = g.generate(prompt, 40, new Sampling(1.0, 0, 1, 11), OptionalInt.empty(), none, null)[0];
        int[] b = g.generate(prompt, 40, new Sampling(1.0, 0, 1, 11), OptionalInt.empty(), none, null)[0];
        int[] c = g.generate(prompt, 40, new Sampling(1.0, 0, 1, 12), OptionalInt.empty(), none, null)[0];
        assertArrayEquals(a, b, "same seed, same tokens");
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c), "another seed, other tokens");
        int[] greedy = g.generate(prompt, 40, Sampling.GREEDY, OptionalInt.empty(), none, null)[0];
        int[] topK1 = g.generate(prompt, 40, new Sampling(1.5, 1, 1, 5), OptionalInt.empty(), none, null)[0];
        int[] tinyP = g.generate(prompt, 40, new Sampling(1.5, 0, 1e-6, 5), OptionalInt.empty(), none, null)[0];
        assertArrayEquals(greedy, topK1, "top-k 1 is greedy whatever the temperature");
        assertArrayEquals(greedy, tinyP, "a tiny top-p keeps only the most likely token");
    }

    @Test
    void stopsAtEosAndAtTheContext() {
        HookedTransformer m = SharedModels.load("stories260K-hf");
        Generator g = new Generator(m);
        Hooks none = Hooks.none(m.hooks());
        int[] greedy = g.generate(new int[][] {{1}}, 10, Sampling.GREEDY, OptionalInt.empty(), none, null)[0];
        int[] stopped = g.generate(new int[][] {{1}}, 10, Sampling.GREEDY, OptionalInt.of(greedy[3]), none, null)[0];
        assertArrayEquals(java.util.Arrays.copyOf(greedy, 3), stopped, "EOS ends the row and is not emitted");
        int nCtx = m.config().nCtx();
        int[] longPrompt = new int[nCtx - 2];
        longPrompt[0] = 1;
        assertEquals(2, g.generate(new int[][] {longPrompt}, 50, Sampling.GREEDY, OptionalInt.empty(), none, null)[0].length);
        var e = assertThrows(IllegalArgumentException.class, () -> m.forward(new int[][] {new int[nCtx + 1]}));
        assertTrue(e.getMessage().contains("longer than the model's context of " + nCtx), e.getMessage());
    }
}
