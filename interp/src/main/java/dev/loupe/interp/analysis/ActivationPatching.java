package dev.loupe.interp.analysis;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.Hooks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Exact activation patching: for every layer and cell (position or head), a corrupted run with that one
 * activation taken from the clean run, scored by the problem's metric.
 *
 * <p>Two savings, both exact: patched runs are batched, one cell per batch row; and with
 * {@code reusePrefix} a run patched at layer l starts at block l from the corrupted run's cached
 * {@code hook_resid_pre} (the blocks before l cannot see the patch), so a sweep costs about half the
 * blocks of recomputing every run from the embeddings.
 */
public final class ActivationPatching {
    private ActivationPatching() {}

    /**
     * @param reusePrefix start each run at the patched layer from the cached corrupted residual
     * @param batch patched runs per forward pass (rows of one batch)
     */
    public static PatchingResult sweep(HookedTransformer model, PatchingRuns runs, SweepKind kind, boolean reusePrefix, int batch) {
        if (batch < 1) throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        int layers = model.config().nLayers();
        int cells = kind.cells(model.config(), runs.problem().positions());
        float[] out = new float[layers * cells];
        for (int l = 0; l < layers; l++) {
            String hook = kind.site().name(l);
            Tensor residual = runs.corrupted().get(SweepKind.RESIDUAL.site().name(l));
            for (int c0 = 0; c0 < cells; c0 += batch) {
                int rows = Math.min(batch, cells - c0);
                List<ActivationPatch.Region> regions = new ArrayList<>(rows);
                for (int r = 0; r < rows; r++) regions.add(kind.region(r, c0 + r));
                Hooks hooks = Hooks.builder(model.hooks()).add(hook, new ActivationPatch(runs.clean().get(hook), regions)).build();
                int[][] tokens = new int[rows][];
                Arrays.fill(tokens, runs.problem().corrupted());
                ForwardOptions opt = reusePrefix ? ForwardOptions.LAST_LOGITS.startingAt(l, repeatRows(residual, rows)) : ForwardOptions.LAST_LOGITS;
                float[] m = runs.problem().metric().of(model.forward(tokens, hooks, null, opt));
                System.arraycopy(m, 0, out, l * cells + c0, rows);
            }
        }
        return new PatchingResult(kind, "exact", Tensor.of(out, layers, cells), runs.cleanMetric(), runs.corruptedMetric());
    }

    /** x [1, ...] repeated as {@code rows} batch rows. */
    static Tensor repeatRows(Tensor x, int rows) {
        int[] shape = x.shape();
        if (shape[0] != 1) throw new IllegalArgumentException("expected one batch row, got " + x);
        shape[0] = rows;
        float[] d = new float[x.numel() * rows];
        for (int r = 0; r < rows; r++) System.arraycopy(x.data(), 0, d, r * x.numel(), x.numel());
        return Tensor.of(d, shape);
    }
}
