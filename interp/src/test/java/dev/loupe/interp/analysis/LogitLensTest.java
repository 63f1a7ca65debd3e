package dev.loupe.interp.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.hooks.ActivationCache;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogitLensTest {
    @Test
    void theLensAtTheLastLayerIsTheModelsOutput() {
        LoadedModel m = Stories.model();
        HookedTransformer model = m.transformer();
        int[] tokens = m.tokens(Stories.CLEAN);
        int last = model.config().nLayers() - 1;
        ActivationCache cache = new ActivationCache();
        Tensor logits = model.runWithCache(new int[][] {tokens}, List.of("blocks." + last + ".hook_resid_post"), cache);
        assertArrayEquals(logits.data(), model.unembed(cache.get("blocks." + last + ".hook_resid_post")).data());

        int lily = Stories.single(m, "Lily");
        LensResult lens = LogitLens.run(model, tokens, lily, 5);
        assertEquals(model.config().nLayers() + 1, lens.depths());
        int vocab = model.config().dVocab();
        for (int p = 0; p < tokens.length; p++) {
            float[] row = java.util.Arrays.copyOfRange(logits.data(), p * vocab, (p + 1) * vocab);
            assertEquals(TopK.indices(row, 1)[0], lens.topIds()[lens.depths() - 1][p][0], "top token at position " + p);
            assertEquals(TopK.rank(row, lily), lens.targetRank()[lens.depths() - 1][p], "rank of the target at position " + p);
        }
        int p = tokens.length - 1;
        for (int d = 0; d < lens.depths(); d++) {
            System.out.printf("%-6s top %-8s  p(Lily) %.3f rank %d%n", lens.depthLabel(d), m.tokenizer().tokenString(lens.topIds()[d][p][0]),
                    lens.targetProb().get(d, p), lens.targetRank()[d][p]);
        }
    }

    @Test
    void topKIsSortedAndRankCountsLargerValues() {
        float[] x = {0.1f, 3f, -2f, 3f, 1f};
        assertArrayEquals(new int[] {1, 3, 4}, TopK.indices(x, 3));
        assertEquals(0, TopK.rank(x, 1));
        assertEquals(2, TopK.rank(x, 4));
        assertEquals(4, TopK.rank(x, 2));
    }
}
