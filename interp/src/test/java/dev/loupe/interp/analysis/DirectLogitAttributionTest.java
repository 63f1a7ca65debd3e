package dev.loupe.interp.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.SharedModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DirectLogitAttributionTest {
    @Test
    void partsSumToTheLogitDifferenceOnStories() {
        LoadedModel m = Stories.model();
        LogitDirection dir = LogitDirection.of(m.transformer(), Stories.single(m, "Lily"), Stories.single(m, "Tim"), "Lily - Tim");
        DlaResult r = DirectLogitAttribution.run(m.transformer(), m.tokens(Stories.CLEAN), dir, -1);
        for (int i = 0; i < r.components().size(); i++) System.out.printf("%-8s %8.3f%n", r.components().get(i), r.contributions().get(i));
        checkSums(m.transformer(), r);
    }

    /** LayerNorm with bias, learned positions, unembedding bias-free (GPT-2) and parallel residual, untied unembedding (Pythia). */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny-random", "pythia-tiny-random", "qwen3-tiny-random", "mistral-tiny-random"})
    void partsSumToTheLogitDifferenceOnOtherArchitectures(String name) {
        HookedTransformer model = SharedModels.load(name);
        int[] tokens = {5, 77, 301, 12, 9, 640, 33, 2};
        DlaResult r = DirectLogitAttribution.run(model, tokens, LogitDirection.of(model, 17, 400, "17 - 400"), 5);
        checkSums(model, r);
    }

    @org.junit.jupiter.api.Test
    void gemmaIsRefusedNotMisattributed() {
        HookedTransformer model = SharedModels.load("gemma2-tiny-random");
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> DirectLogitAttribution.run(model,
                new int[] {5, 77, 301}, LogitDirection.of(model, 17, 400, "17 - 400"), -1));
        assertTrue(e.getMessage().contains("soft-caps"), e.getMessage());
    }

    private static void checkSums(HookedTransformer model, DlaResult r) {
        double rel = Math.abs(r.total() - r.actual()) / Math.abs(r.actual());
        assertTrue(rel < 1e-4, "parts + bias " + r.total() + " vs actual " + r.actual() + " (relative " + rel + ")");
        int heads = model.config().nHeads();
        for (int l = 0; l < model.config().nLayers(); l++) {
            double s = r.attnBias().get(l);
            for (int h = 0; h < heads; h++) s += r.heads().get(l, h);
            float attn = r.contributions().get(r.components().indexOf("L" + l + " attn"));
            assertEquals(attn, s, 1e-4 * Math.max(1, Math.abs(attn)), "layer " + l + ": heads + bias vs attention output");
        }
    }
}
