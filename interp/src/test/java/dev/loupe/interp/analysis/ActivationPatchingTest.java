package dev.loupe.interp.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.Hooks;
import org.junit.jupiter.api.Test;

class ActivationPatchingTest {
    @Test
    void patchingEveryPositionAtLayerZeroRecoversTheCleanMetricExactly() {
        HookedTransformer model = Stories.model().transformer();
        PatchingProblem problem = Stories.namesProblem();
        PatchingRuns runs = PatchingRuns.of(model, problem);
        System.out.printf("names problem: clean %.4f, corrupted %.4f%n", runs.cleanMetric(), runs.corruptedMetric());
        assertTrue(runs.cleanMetric() - runs.corruptedMetric() > 2, "the pair should separate the metric");
        String hook = "blocks.0.hook_resid_pre";
        var patch = ActivationPatch.everyRow(runs.clean().get(hook), 1, ActivationPatch.ALL, ActivationPatch.ALL);
        Tensor logits = model.forward(new int[][] {problem.corrupted()}, Hooks.builder(model.hooks()).add(hook, patch).build(), null,
                ForwardOptions.LAST_LOGITS);
        assertEquals(runs.cleanMetric(), problem.metric().of(logits)[0], 0.0);
    }

    @Test
    void reusingThePrefixAndBatchingGiveTheSameSweep() {
        HookedTransformer model = Stories.model().transformer();
        PatchingRuns runs = PatchingRuns.of(model, Stories.namesProblem());
        for (SweepKind kind : SweepKind.values()) {
            PatchingResult slow = ActivationPatching.sweep(model, runs, kind, false, 1);
            PatchingResult fast = ActivationPatching.sweep(model, runs, kind, true, 5);
            float[] a = slow.patched().data(), b = fast.patched().data();
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4, kind + " cell " + i);
        }
    }

    @Test
    void residualSweepAtLayerZeroMovesOnlyWhereThePromptsDiffer() {
        HookedTransformer model = Stories.model().transformer();
        PatchingRuns runs = PatchingRuns.of(model, Stories.namesProblem());
        PatchingResult r = ActivationPatching.sweep(model, runs, SweepKind.RESIDUAL, true, 8);
        // At layer 0 the residual is the token embedding: positions where the prompts agree patch to no change,
        // and some position where they differ (girl/boy, Lily/Tim, She/He) moves the metric.
        PatchingProblem problem = runs.problem();
        double best = 0;
        for (int p = 0; p < r.cells(); p++) {
            if (problem.clean()[p] == problem.corrupted()[p]) {
                assertEquals(runs.corruptedMetric(), r.patched().get(0, p), 1e-4, "layer 0, shared token at position " + p);
            } else {
                best = Math.max(best, r.normalized().get(0, p));
            }
        }
        assertTrue(best > 0.2, "largest normalized effect at a differing position: " + best);
    }

    @Test
    void attributionCorrelatesWithExactPatching() {
        HookedTransformer model = Stories.model().transformer();
        PatchingRuns runs = PatchingRuns.of(model, Stories.namesProblem());
        for (SweepKind kind : SweepKind.values()) {
            PatchingResult exact = ActivationPatching.sweep(model, runs, kind, true, 16);
            PatchingResult approx = AttributionPatching.sweep(model, runs, kind);
            double r = AttributionPatching.correlation(exact.patched(), approx.patched());
            System.out.printf("%s: correlation of attribution with exact patching %.3f%n", kind, r);
            assertTrue(r > 0.5, kind + ": correlation " + r);
        }
    }
}
