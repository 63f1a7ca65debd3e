package dev.loupe.interp.analysis;

import dev.loupe.core.Tensor;

/**
 * One patching sweep's outcome: the metric of every patched run (exact), or its first-order estimate
 * (attribution), as a [n_layers, cells] grid, beside the clean and corrupted baselines.
 *
 * @param method "exact" or "attribution"
 * @param patched [n_layers, cells] metric after patching the cell (or its linear estimate)
 */
public record PatchingResult(SweepKind kind, String method, Tensor patched, double clean, double corrupted) {

    /** (patched - corrupted) / (clean - corrupted): 1 where patching restores the clean behaviour, 0 where it does nothing. */
    public Tensor normalized() {
        float[] p = patched.data();
        float[] o = new float[p.length];
        double span = clean - corrupted;
        for (int i = 0; i < p.length; i++) o[i] = (float) ((p[i] - corrupted) / span);
        return Tensor.of(o, patched.shape());
    }

    public int layers() {
        return patched.size(0);
    }

    public int cells() {
        return patched.size(1);
    }
}
