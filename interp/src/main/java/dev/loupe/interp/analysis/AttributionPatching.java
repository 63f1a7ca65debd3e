package dev.loupe.interp.analysis;

import dev.loupe.core.Tensor;
import dev.loupe.model.GradientRun;
import dev.loupe.model.HookedTransformer;
import java.util.ArrayList;
import java.util.List;

/**
 * Attribution patching: the first-order estimate of every exact patching run from one forward and one
 * backward pass of the corrupted prompt. Patching cell c at layer l changes the metric by about
 * sum over the cell of (clean − corrupted activation) · d metric / d activation, gradients taken on the
 * corrupted run. Cheap (two passes for the whole grid) but linear: it can miss saturating effects
 * (e.g. through attention softmax or the final norm), so compare it with {@link ActivationPatching}.
 */
public final class AttributionPatching {
    private AttributionPatching() {}

    /** The estimated patched metric per (layer, cell): corrupted metric + the linear estimate of the change. */
    public static PatchingResult sweep(HookedTransformer model, PatchingRuns runs, SweepKind kind) {
        int layers = model.config().nLayers();
        int cells = kind.cells(model.config(), runs.problem().positions());
        List<String> hooks = new ArrayList<>();
        for (int l = 0; l < layers; l++) hooks.add(kind.site().name(l));
        GradientRun grad = GradientRun.of(model, new int[][] {runs.problem().corrupted()}, hooks, runs.problem().metric()::objective);
        float[] out = new float[layers * cells];
        for (int l = 0; l < layers; l++) {
            String hook = hooks.get(l);
            float[] clean = runs.clean().get(hook).data(), corrupt = grad.activations().get(hook).data(), g = grad.gradients().get(hook).data();
            int[] shape = runs.clean().get(hook).shape();
            for (int c = 0; c < cells; c++) {
                double[] sum = {0};
                kind.region(0, c).forEachSpan(shape, hook, (off, src, len) -> {
                    for (int i = off; i < off + len; i++) sum[0] += (double) (clean[i] - corrupt[i]) * g[i];
                });
                out[l * cells + c] = (float) (runs.corruptedMetric() + sum[0]);
            }
        }
        return new PatchingResult(kind, "attribution", Tensor.of(out, layers, cells), runs.cleanMetric(), runs.corruptedMetric());
    }

    /** Pearson correlation of two grids of one shape (e.g. exact against attribution). */
    public static double correlation(Tensor a, Tensor b) {
        if (!a.sameShape(b)) throw new IllegalArgumentException("correlation of different shapes: " + a + " and " + b);
        float[] x = a.data(), y = b.data();
        int n = x.length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }
}
