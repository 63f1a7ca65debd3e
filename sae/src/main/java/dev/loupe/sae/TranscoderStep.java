package dev.loupe.sae;

import dev.loupe.core.Parallel;
import dev.loupe.core.kernels.Sgemm;

/**
 * One training forward/backward pass of a transcoder set over a batch, with the SAE kernels: per source layer
 * one dense encoder GEMM, then only active (token, feature) pairs for decoding and both weight gradients
 * ({@link Backward}, deterministic). A CLT feature's decoder row spans all its target layers, so it is decoded,
 * and its gradient taken, as one wider row. Loss: Σ over layers of the mean over tokens of ‖y_t − ŷ_t‖², plus
 * each source layer's activation penalty ({@link SaeArchitecture#extraLoss}); the skip path's gradient is one
 * dense GEMM. No AuxK: dead features are reported, not revived.
 */
final class TranscoderStep {
    private TranscoderStep() {}

    /**
     * Runs the step on inputs x and targets y (both [rows, layers·d_model]) and, when {@code grads} is non-null,
     * adds the loss gradients to it (same parameter names as {@link TranscoderWeights#parameters()}).
     *
     * @param fired when non-null, set true for every feature active in this batch (source layer i's j at i·d_tc + j)
     * @param pre reusable scratch, per source layer at least rows·d_tc floats (or null)
     */
    static StepStats run(TranscoderWeights w, float[] x, float[] y, int rows, float coefficient, float bandwidth, TranscoderWeights grads,
                         boolean[] fired, float[][] pre) {
        TranscoderSpec spec = w.spec;
        SaeArchitecture arch = spec.architecture();
        int nl = spec.nLayers(), d = spec.dModel(), n = spec.dTranscoder(), stride = nl * d;
        SparseCodes[] codes = new SparseCodes[nl];
        float[][] pres = new float[nl][];
        float[] recon = w.biasRows(rows);
        for (int i = 0; i < nl; i++) {
            pres[i] = pre != null && pre[i].length >= rows * n ? pre[i] : new float[rows * n];
            w.preActivations(i, x, rows, pres[i]);
            codes[i] = arch.activateForTraining(w.latents(i), pres[i], rows);
            w.decodeInto(i, codes[i], x, recon);
        }
        float[] err = recon;
        for (int a = 0; a < err.length; a++) err[a] -= y[a];
        double sse = 0;
        for (float e : err) sse += (double) e * e;
        double variance = 0;
        for (int t = 0; t < nl; t++) variance += TrainStep.centeredSumSquares(y, rows, t * d, stride, d);
        float two = 2f / rows;
        float[] dOut = new float[err.length];
        for (int a = 0; a < err.length; a++) dOut[a] = two * err[a];
        double extra = 0;
        long nnz = 0;
        for (int i = 0; i < nl; i++) {
            SparseCodes f = codes[i];
            nnz += f.nnz();
            float[] dCodes = grads == null ? new float[f.nnz()] : rowDots(w, i, f, dOut);
            extra += arch.extraLoss(new LatentStep(w.latents(i), rows, coefficient, bandwidth, pres[i], f, dCodes, dOut, i * d, stride,
                    grads == null ? null : grads.wDec[i], grads == null ? null : grads.threshold[i]));
            if (grads != null) {
                Backward.accumulate(f, f.value(), dOut, i * d, stride, w.width(i), grads.wDec[i], null);
                Backward.accumulate(f, dCodes, x, i * d, stride, d, grads.wEncT[i], grads.bEnc[i]);
                if (w.wSkip[i] != null) Sgemm.sgemm(true, false, d, d, rows, 1f, dOut, i * d, stride, x, i * d, stride, 1f, grads.wSkip[i], 0, d);
            }
            if (fired != null) for (int j : f.index()) fired[i * n + j] = true;
        }
        if (grads != null) for (int r = 0; r < rows; r++) Vec.axpy(1f, dOut, r * stride, grads.bDec, 0, stride);
        double mse = sse / rows;
        return new StepStats(mse + extra, mse, extra, 0, nnz / (double) rows / nl, sse / variance);
    }

    /** For each active (r, j) of source layer i: dOut_r (its target layers) · W_dec[i][j]. */
    private static float[] rowDots(TranscoderWeights w, int i, SparseCodes f, float[] dOut) {
        int d = w.spec.dModel(), stride = w.spec.nLayers() * d, width = w.width(i);
        float[] out = new float[f.nnz()];
        int[] rs = f.rowStart(), idx = f.index();
        float[] dec = w.wDec[i];
        Parallel.forRange(f.rows(), 16, (a, b) -> {
            for (int r = a; r < b; r++) for (int c = rs[r]; c < rs[r + 1]; c++) out[c] = Vec.dot(dOut, r * stride + i * d, dec, idx[c] * width, width);
        });
        return out;
    }
}
