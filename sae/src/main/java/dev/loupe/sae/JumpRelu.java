package dev.loupe.sae;

/**
 * JumpReLU SAE (Rajamanoharan et al. 2024): f = pre · H(pre − θ) with a trained threshold θ per latent and
 * an L0 penalty λ Σ H(pre − θ). The step function has no useful derivative, so θ gets the paper's
 * straight-through pseudo-derivatives with a rectangle kernel K of bandwidth ε:
 * ∂f/∂θ := −(θ/ε) K((pre − θ)/ε) and ∂H/∂θ := −(1/ε) K((pre − θ)/ε); the gradient to pre is the
 * ordinary one (1 where active, none from the L0 term).
 */
final class JumpRelu implements SaeArchitecture {
    @Override
    public String name() {
        return "jumprelu";
    }

    @Override
    public boolean hasThreshold() {
        return true;
    }

    @Override
    public boolean trainsThreshold() {
        return true;
    }

    @Override
    public SparseCodes activate(Sae sae, float[] pre, int rows) {
        return SparseCodes.above(pre, rows, sae.dSae(), sae.threshold);
    }

    @Override
    public double extraLoss(TrainStep s) {
        Sae sae = s.sae;
        float w = s.coefficient / s.rows;
        double penalty = w * s.codes.nnz();
        if (s.grads == null) return penalty;
        int d = sae.dIn();
        float eps = s.bandwidth;
        SparseCodes band = SparseCodes.band(s.pre, s.rows, sae.dSae(), sae.threshold, eps / 2);
        float[] gTheta = s.grads.threshold();
        for (int r = 0; r < band.rows(); r++) {
            for (int c = band.rowStart()[r]; c < band.rowStart()[r + 1]; c++) {
                int j = band.index()[c];
                float upstream = Vec.dot(s.dRecon, r * d, sae.wDec, j * d, d);
                gTheta[j] += -(sae.threshold[j] / eps) * upstream - w / eps;
            }
        }
        return penalty;
    }
}
