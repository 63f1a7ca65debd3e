package dev.loupe.sae;

import dev.loupe.core.Parallel;

/**
 * One training forward/backward pass of an SAE over a batch, as explicit kernels: the dense encoder GEMM
 * ({@link dev.loupe.core.kernels.Sgemm}) is the only dense product; decoding, the decoder gradient and the
 * encoder gradient touch only active (token, latent) pairs. Loss: mean over tokens of ‖x − x̂‖², plus the
 * architecture's {@link SaeArchitecture#extraLoss}, plus AuxK on dead latents where the architecture uses it:
 * α · min(dead/k_aux, 1) · mean ‖ê − e‖² with e = x − x̂ held fixed and ê decoded (no bias) from the k_aux
 * largest dead pre-activations.
 *
 * <p>Gradients accumulate by latent, each latent's rows summed in token order, so results are
 * bit-identical run to run (given the thread count).
 */
final class TrainStep {
    final Sae sae;
    final float coefficient;
    final float bandwidth;
    final Grads grads; // null: loss only
    final int rows;
    final float[] pre;
    SparseCodes codes;
    float[] dRecon;
    float[] dCodes;

    private TrainStep(Sae sae, int rows, float coefficient, float bandwidth, Grads grads, float[] preBuffer) {
        this.sae = sae;
        this.rows = rows;
        this.coefficient = coefficient;
        this.bandwidth = bandwidth;
        this.grads = grads;
        this.pre = preBuffer;
    }

    /**
     * Runs one step on x [rows, d_in] and, when {@code grads} is non-null, adds the loss gradients to it.
     *
     * @param dead latents that count as dead for AuxK (null: none)
     * @param auxCoefficient α of AuxK; kAux its per-token latent budget
     * @param fired when non-null, set true for every latent active in this batch
     * @param preBuffer reusable scratch of at least rows·d_sae floats (or null)
     */
    static StepStats run(Sae sae, float[] x, int rows, float coefficient, float bandwidth, boolean[] dead, float auxCoefficient,
                         int kAux, Grads grads, boolean[] fired, float[] preBuffer) {
        int n = sae.dSae();
        float[] pre = preBuffer != null && preBuffer.length >= rows * n ? preBuffer : new float[rows * n];
        TrainStep s = new TrainStep(sae, rows, coefficient, bandwidth, grads, pre);
        return s.run(x, dead, auxCoefficient, kAux, fired);
    }

    private StepStats run(float[] x, boolean[] dead, float auxCoefficient, int kAux, boolean[] fired) {
        int d = sae.dIn();
        SaeArchitecture arch = sae.architecture();
        float[] xc = sae.centered(x, rows);
        sae.preActivations(xc, rows, pre);
        codes = arch.activateForTraining(sae.latents(), pre, rows);
        float[] recon = sae.decodeInto(codes, sae.bDec, new float[rows * d]);
        float[] err = recon;
        for (int i = 0; i < err.length; i++) err[i] -= x[i];
        double sse = 0;
        for (float e : err) sse += (double) e * e;
        double mse = sse / rows;
        double fvu = sse / centeredSumSquares(x, rows, 0, d, d);
        dRecon = new float[err.length];
        float two = 2f / rows;
        for (int i = 0; i < err.length; i++) dRecon[i] = two * err[i];
        dCodes = grads == null ? new float[codes.nnz()] : rowDots(codes, dRecon);
        double extra = arch.extraLoss(new LatentStep(sae.latents(), rows, coefficient, bandwidth, pre, codes, dCodes, dRecon, 0, d,
                grads == null ? null : grads.wDec(), grads == null ? null : grads.threshold()));
        double aux = 0;
        SparseCodes auxCodes = null;
        float[] dAux = null, dAuxCodes = null;
        int numDead = dead == null ? 0 : count(dead);
        if (arch.auxK() && numDead > 0 && auxCoefficient > 0) {
            auxCodes = SparseCodes.topK(pre, rows, sae.dSae(), Math.min(kAux, numDead), dead);
            float[] diff = sae.decodeInto(auxCodes, null, new float[rows * d]);
            for (int i = 0; i < diff.length; i++) diff[i] += err[i]; // ê − e with e = −err
            double scale = auxCoefficient * Math.min(1.0, numDead / (double) kAux);
            double ss = 0;
            for (float v : diff) ss += (double) v * v;
            aux = scale * ss / rows;
            if (grads != null) {
                dAux = diff;
                float g = (float) (2 * scale / rows);
                for (int i = 0; i < dAux.length; i++) dAux[i] *= g;
                dAuxCodes = rowDots(auxCodes, dAux);
            }
        }
        if (grads != null) {
            Backward.accumulate(codes, codes.value(), dRecon, d, grads.wDec(), null);
            Backward.accumulate(codes, dCodes, xc, d, grads.wEncT(), grads.bEnc());
            if (auxCodes != null) {
                Backward.accumulate(auxCodes, auxCodes.value(), dAux, d, grads.wDec(), null);
                Backward.accumulate(auxCodes, dAuxCodes, xc, d, grads.wEncT(), grads.bEnc());
            }
            biasGradient(codes, dCodes, auxCodes, dAuxCodes);
        }
        if (fired != null) for (int j : codes.index()) fired[j] = true;
        return new StepStats(mse + extra + aux, mse, extra, aux, codes.nnz() / (double) rows, fvu);
    }

    /** b_dec: Σ_r ∂x̂_r, minus (when b_dec is subtracted from the input) Σ_j (Σ_r ∂pre_rj) W_enc[j]. */
    private void biasGradient(SparseCodes main, float[] dMain, SparseCodes aux, float[] dAuxCodes) {
        int d = sae.dIn();
        float[] g = grads.bDec();
        for (int r = 0; r < rows; r++) for (int i = 0; i < d; i++) g[i] += dRecon[r * d + i];
        if (!sae.config().applyBDecToInput()) return;
        double[] perLatent = new double[sae.dSae()];
        addByLatent(main, dMain, perLatent);
        if (aux != null) addByLatent(aux, dAuxCodes, perLatent);
        for (int j = 0; j < perLatent.length; j++) if (perLatent[j] != 0) Vec.axpy((float) -perLatent[j], sae.wEncT, j * d, g, 0, d);
    }

    private static void addByLatent(SparseCodes codes, float[] scalars, double[] out) {
        for (int c = 0; c < codes.nnz(); c++) out[codes.index()[c]] += scalars[c];
    }

    /** For each active (r, j): dOut_r · W_dec[j], the gradient reaching that code from the output. */
    private float[] rowDots(SparseCodes f, float[] dOut) {
        int d = sae.dIn();
        float[] out = new float[f.nnz()];
        int[] rs = f.rowStart(), idx = f.index();
        Parallel.forRange(rows, 16, (a, b) -> {
            for (int r = a; r < b; r++) for (int c = rs[r]; c < rs[r + 1]; c++) out[c] = Vec.dot(dOut, r * d, sae.wDec, idx[c] * d, d);
        });
        return out;
    }

    private static int count(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) if (b) n++;
        return n;
    }

    /** Σ_r ‖y_r − mean(y)‖² over the column slice [offset, offset + d) of rows {@code stride} apart. */
    static double centeredSumSquares(float[] y, int rows, int offset, int stride, int d) {
        double[] mean = new double[d];
        for (int r = 0; r < rows; r++) for (int c = 0; c < d; c++) mean[c] += y[r * stride + offset + c];
        for (int c = 0; c < d; c++) mean[c] /= rows;
        double s = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < d; c++) {
                double v = y[r * stride + offset + c] - mean[c];
                s += v * v;
            }
        }
        return s;
    }
}
