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
    public SparseCodes activate(Latents l, float[] pre, int rows) {
        return SparseCodes.above(pre, rows, l.count(), l.threshold());
    }

    @Override
    public double extraLoss(LatentStep s) {
        Latents l = s.latents;
        float w = s.coefficient / s.rows;
        double penalty = w * s.codes.nnz();
        if (!s.wantsGradients()) return penalty;
        float eps = s.bandwidth;
        float[] theta = l.threshold();
        SparseCodes band = SparseCodes.band(s.pre, s.rows, l.count(), theta, eps / 2);
        for (int r = 0; r < band.rows(); r++) {
            for (int c = band.rowStart()[r]; c < band.rowStart()[r + 1]; c++) {
                int j = band.index()[c];
                s.gradThreshold[j] += -(theta[j] / eps) * s.upstream(r, j) - w / eps;
            }
        }
        return penalty;
    }
}
