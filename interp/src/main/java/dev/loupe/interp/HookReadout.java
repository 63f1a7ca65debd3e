package dev.loupe.interp;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.model.hooks.Site;
import java.util.List;

/** Reads activations at a few hooks for one token sequence, running the model only as far as they need. */
public final class HookReadout {
    private HookReadout() {}

    /** Activations at {@code hooks} for {@code ids} (batch of 1), by hook name. */
    public static ActivationCache read(HookedTransformer model, int[] ids, List<HookSpec> hooks) {
        int stop = 0;
        for (HookSpec h : hooks) stop = Math.max(stop, h.site() == Site.LN_FINAL ? Integer.MAX_VALUE : h.layer());
        ForwardOptions opt = stop == Integer.MAX_VALUE ? ForwardOptions.FULL : new ForwardOptions(stop, false);
        ActivationCache cache = new ActivationCache();
        model.forward(new int[][] {ids}, Hooks.builder(model.hooks()).cache(hooks.stream().map(HookSpec::name).toList(), cache).build(), null, opt);
        return cache;
    }

    /** One hook's activation for {@code ids}, without the batch axis: [pos, ...]. */
    public static Tensor read(HookedTransformer model, int[] ids, HookSpec hook) {
        Tensor t = read(model, ids, List.of(hook)).get(hook.name());
        int[] s = t.shape();
        return t.reshape(java.util.Arrays.copyOfRange(s, 1, s.length));
    }
}
