package dev.loupe.sae;

/**
 * ReLU SAE with the decoder-norm-weighted L1 penalty λ Σ_i f_i ‖W_dec,i‖ (Anthropic, April 2024 update):
 * decoder rows are unconstrained, so the penalty carries their norm instead.
 */
final class ReluL1 implements SaeArchitecture {
    @Override
    public String name() {
        return "standard";
    }

    @Override
    public boolean unitNormDecoder() {
        return false;
    }

    @Override
    public float initialDecoderNorm() {
        return 0.1f;
    }

    @Override
    public SparseCodes activate(Latents l, float[] pre, int rows) {
        return SparseCodes.above(pre, rows, l.count(), null);
    }

    @Override
    public double extraLoss(LatentStep s) {
        Latents l = s.latents;
        int d = l.width(), n = l.count();
        float[] wDec = l.wDec();
        float[] norms = new float[n];
        for (int j = 0; j < n; j++) norms[j] = (float) Math.sqrt(Vec.sumSquares(wDec, j * d, d));
        SparseCodes f = s.codes;
        float w = s.coefficient / f.rows();
        double[] colSum = new double[n];
        double penalty = 0;
        for (int c = 0; c < f.nnz(); c++) {
            int j = f.index()[c];
            penalty += (double) f.value()[c] * norms[j];
            colSum[j] += f.value()[c];
            s.dCodes[c] += w * norms[j];
        }
        if (s.wantsGradients()) {
            for (int j = 0; j < n; j++) {
                if (colSum[j] != 0 && norms[j] > 0) Vec.axpy((float) (w * colSum[j] / norms[j]), wDec, j * d, s.gradWDec, j * d, d);
            }
        }
        return w * penalty;
    }
}
