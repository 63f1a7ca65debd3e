package dev.loupe.model;

import dev.loupe.core.Autograd;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.model.hooks.Site;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A forward pass differentiated back to its hook points: the activations and the gradients of a scalar
 * (by default the mean next-token cross-entropy) at every hook the patterns select.
 *
 * @param value the differentiated scalar, shape [1]
 * @param logits [batch, pos, d_vocab]
 * @param activations the selected activations
 * @param gradients d value / d activation, by hook name (and "logits"), same shapes as the activations
 */
public record GradientRun(Tensor value, Tensor logits, ActivationCache activations, Map<String, Tensor> gradients) {

    /** Gradients of the mean next-token loss over the input (positions 0..n-2 predicting 1..n-1). */
    public static GradientRun ofLoss(HookedTransformer model, int[][] tokens, List<String> patterns) {
        return of(model, tokens, patterns, logits -> Ops.nextTokenLoss(logits, tokens));
    }

    /**
     * Gradients of {@code objective(logits)} (any scalar built with differentiable {@link Ops}); extra hooks
     * (e.g. interventions) run before the recording hooks at each point.
     */
    public static GradientRun of(HookedTransformer model, int[][] tokens, List<String> patterns, Function<Tensor, Tensor> objective) {
        ActivationCache cache = new ActivationCache();
        Map<String, Tensor> grads = new LinkedHashMap<>();
        Hooks.Builder hooks = Hooks.builder(model.hooks());
        for (HookSpec s : model.hooks().specs()) {
            if (s.site() == Site.EMBED || s.site() == Site.POS_EMBED || s.site() == Site.TOKEN_TYPE_EMBED) {
                hooks.add(s, (x, ctx) -> x.requiresGrad(true));
            }
        }
        hooks.cache(patterns, cache);
        for (String p : patterns) {
            hooks.addBackward(p, (g, ctx) -> {
                grads.put(ctx.hook().name(), g);
                return g;
            });
        }
        Tensor logits = model.forward(tokens, hooks.build(), null, ForwardOptions.FULL);
        logits.onGrad(g -> {
            grads.put("logits", g);
            return g;
        });
        Tensor value = objective.apply(logits);
        Autograd.backward(value);
        Map<String, Tensor> ordered = new LinkedHashMap<>();
        for (String name : cache.names()) {
            Tensor g = grads.get(name);
            ordered.put(name, g != null ? g : Tensor.zeros(cache.get(name).shape()));
        }
        ordered.put("logits", grads.get("logits"));
        return new GradientRun(value, logits, cache, ordered);
    }
}
