package dev.loupe.interp.analysis;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.Hooks;
import java.util.ArrayList;
import java.util.List;

/**
 * The clean and corrupted runs of a patching problem, with their activations cached at every hook point a
 * sweep patches or starts from, and their metric values. Computed once, shared by every sweep.
 */
public record PatchingRuns(PatchingProblem problem, ActivationCache clean, ActivationCache corrupted, double cleanMetric, double corruptedMetric) {

    public static PatchingRuns of(HookedTransformer model, PatchingProblem problem) {
        List<String> hooks = new ArrayList<>();
        for (SweepKind k : SweepKind.values()) hooks.add(k.site().name(0).replaceFirst("^blocks\\.0\\.", "blocks.*."));
        ActivationCache clean = new ActivationCache(), corrupted = new ActivationCache();
        float c = run(model, problem.clean(), hooks, clean, problem.metric());
        float k = run(model, problem.corrupted(), hooks, corrupted, problem.metric());
        return new PatchingRuns(problem, clean, corrupted, c, k);
    }

    private static float run(HookedTransformer model, int[] tokens, List<String> hooks, ActivationCache cache, LogitDifference metric) {
        Tensor logits = model.forward(new int[][] {tokens}, Hooks.builder(model.hooks()).cache(hooks, cache).build(), null, ForwardOptions.LAST_LOGITS);
        return metric.of(logits)[0];
    }
}
