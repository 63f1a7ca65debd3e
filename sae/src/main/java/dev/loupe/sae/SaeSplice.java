package dev.loupe.sae;

import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.HookIndex;
import dev.loupe.model.hooks.HookPattern;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.model.hooks.Hooks;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An SAE spliced into a model at its hook: the activation there is replaced by the SAE's reconstruction
 * (plus, with the error term, the SAE's error on the clean input, so the model's output is unchanged unless
 * a hook intervenes on the features). The SAE exposes SAELens's hook points under its hook's name:
 * {@code {hook}.hook_sae_input}, {@code .hook_sae_acts_pre}, {@code .hook_sae_acts_post},
 * {@code .hook_sae_recons}, {@code .hook_sae_error}; they are ordinary hook points of
 * {@link #index}, so caching, ablating, clamping or steering a feature is an ordinary hook function.
 */
public final class SaeSplice {
    /** The SAE's own hook points, in the order it reaches them. */
    public static final List<String> POINTS = List.of("hook_sae_input", "hook_sae_acts_pre", "hook_sae_acts_post", "hook_sae_recons", "hook_sae_error");

    private SaeSplice() {}

    /** The model's hook index with the SAE's points attached; checks the SAE fits the hook. */
    public static HookIndex index(HookedTransformer model, Sae sae) {
        HookSpec hook = requireFits(model, sae);
        List<String> names = new ArrayList<>(), shapes = new ArrayList<>();
        for (String p : POINTS) {
            names.add(hook.name() + "." + p);
            shapes.add(p.contains("acts") ? "[batch, pos, d_sae=" + sae.dSae() + "]" : "[batch, pos, d_in=" + sae.dIn() + "]");
        }
        return model.hooks().withAttached(hook.name(), names, shapes);
    }

    /** The hook the SAE reads, after checking its width equals the SAE's d_in (the error names both and the hook). */
    public static HookSpec requireFits(HookedTransformer model, Sae sae) {
        String name = sae.config().hookName();
        HookSpec hook = model.hooks().get(name);
        if (hook == null) {
            throw new IllegalArgumentException("SAE hook '" + name + "' is not a hook of this model; nearest: "
                    + String.join(", ", HookPattern.nearest(model.hooks(), name, 3)));
        }
        int width = LiveModelSource.widthOf(hook);
        if (width != sae.dIn()) {
            throw new IllegalArgumentException("SAE d_in=" + sae.dIn() + " does not match hook " + name + ", whose activations have width " + width
                    + " " + hook.shape());
        }
        return hook;
    }

    /**
     * Hooks for a run with the SAE spliced in. {@code userHooks} adds functions on {@code index} (model points and
     * the SAE's points); at the SAE's hook they see the original activation, before the SAE replaces it.
     *
     * @param index from {@link #index(HookedTransformer, Sae)}
     * @param useErrorTerm add the SAE's error so the spliced model reproduces the clean one
     */
    public static Hooks hooks(HookIndex index, Sae sae, boolean useErrorTerm, Consumer<Hooks.Builder> userHooks) {
        Hooks.Builder b = Hooks.builder(index);
        userHooks.accept(b);
        Hooks[] built = new Hooks[1];
        String hook = sae.config().hookName();
        HookSpec[] points = POINTS.stream().map(p -> index.get(hook + "." + p)).toArray(HookSpec[]::new);
        b.add(hook, (x, ctx) -> forward(sae, x, built[0], points, ctx.startPosition(), useErrorTerm));
        built[0] = b.build();
        return built[0];
    }

    /** The SAE's forward at its hook, firing its points: input, acts_pre, acts_post, recons, then error. */
    static Tensor forward(Sae sae, Tensor x, Hooks hooks, HookSpec[] points, int start, boolean useErrorTerm) {
        int[] shape = x.shape();
        int rows = x.numel() / sae.dIn();
        int[] latentShape = shape.clone();
        latentShape[latentShape.length - 1] = sae.dSae();
        Tensor in = hooks.fire(points[0], x, start);
        float[] pre = sae.preActivations(sae.centered(in.data(), rows), rows, new float[rows * sae.dSae()]);
        Tensor preT = hooks.fire(points[1], Tensor.of(pre, latentShape), start);
        SparseCodes codes = sae.architecture().activate(sae.latents(), preT.data(), rows);
        Tensor post = Tensor.of(codes.dense(), latentShape);
        Tensor postT = hooks.fire(points[2], post, start);
        SparseCodes used = postT == post ? codes : SparseCodes.fromDense(postT.data(), rows, sae.dSae());
        Tensor recons = hooks.fire(points[3], Tensor.of(sae.decode(used), shape), start);
        if (!useErrorTerm) return recons;
        float[] clean = sae.decode(sae.encodeSparse(x.data(), rows));
        float[] err = x.data().clone();
        for (int i = 0; i < err.length; i++) err[i] -= clean[i];
        Tensor errT = Tensor.of(err, shape);
        Tensor error = hooks.fire(points[4], errT, start);
        float[] out = new float[err.length], r = recons.data(), xd = x.data(), e = error.data();
        // x + (x̂ − x̂_clean) when the error is untouched: exactly x when no hook changed the features
        if (error == errT) for (int i = 0; i < out.length; i++) out[i] = xd[i] + (r[i] - clean[i]);
        else for (int i = 0; i < out.length; i++) out[i] = r[i] + e[i];
        return Tensor.of(out, shape);
    }
}
