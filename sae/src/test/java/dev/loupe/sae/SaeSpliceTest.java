package dev.loupe.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.HookIndex;
import dev.loupe.model.hooks.Hooks;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The SAE as part of the model: its hook points are addressable, the error term makes splicing exact, bad sizes are named. */
class SaeSpliceTest {
    static final String HOOK = StoriesTopKTest.HOOK;

    static Sae randomSae(int dIn) {
        SaeConfig cfg = new SaeConfig("topk", dIn, 128, HOOK, 2, "stories260K", 8, true, "none", 0);
        return SaeArchitectures.create(cfg, new Rng(2), 0);
    }

    @Test
    void errorTermReproducesTheCleanModelAndFeaturesAreHookable() {
        HookedTransformer model = StoriesTopKTest.model();
        Sae sae = randomSae(64);
        int[][] ids = {{1, 50, 60, 70, 80, 90}};
        Tensor clean = model.forward(ids);
        HookIndex index = SaeSplice.index(model, sae);
        ActivationCache cache = new ActivationCache();
        Hooks hooks = SaeSplice.hooks(index, sae, true, b -> b.cache(List.of(HOOK + ".hook_sae_*"), cache));
        Tensor spliced = model.forward(ids, hooks, null, ForwardOptions.FULL);
        assertArrayEquals(clean.data(), spliced.data(), "with the error term and no intervention the model is unchanged");
        assertEquals(SaeSplice.POINTS.size(), cache.names().size());
        Tensor acts = cache.get(HOOK + ".hook_sae_acts_post");
        assertArrayEquals(new int[] {1, 6, 128}, acts.shape());

        // ablate the most active feature everywhere: an ordinary hook function on hook_sae_acts_post
        int feature = largestFeature(acts);
        Hooks ablate = SaeSplice.hooks(index, sae, true, b -> b.add(HOOK + ".hook_sae_acts_post", (f, ctx) -> {
            float[] out = f.data().clone();
            for (int r = 0; r < out.length / 128; r++) out[r * 128 + feature] = 0;
            return Tensor.of(out, f.shape());
        }));
        Tensor changed = model.forward(ids, ablate, null, ForwardOptions.FULL);
        assertTrue(!java.util.Arrays.equals(clean.data(), changed.data()), "ablating an active feature changes the logits");
    }

    private static int largestFeature(Tensor acts) {
        float[] a = acts.data();
        int best = 0;
        for (int i = 0; i < a.length; i++) if (a[i] > a[best]) best = i;
        return best % 128;
    }

    @Test
    void saeWhoseWidthDoesNotMatchTheHookIsRefusedNamingBoth() {
        HookedTransformer model = StoriesTopKTest.model();
        var e = assertThrows(IllegalArgumentException.class, () -> SaeSplice.index(model, randomSae(48)));
        assertTrue(e.getMessage().contains("d_in=48") && e.getMessage().contains("64") && e.getMessage().contains(HOOK), e.getMessage());
        var t = assertThrows(IllegalArgumentException.class, () -> new SaeTrainer(randomSae(48).config(), TrainOptions.builder(1).build(),
                new TensorSource(new float[64], 64, 0)));
        assertTrue(t.getMessage().contains("d_in=48") && t.getMessage().contains("64") && t.getMessage().contains(HOOK), t.getMessage());
    }
}
