package dev.loupe.sae;

/** TopK SAE (Gao et al. 2024): keep each token's k largest pre-activations (then ReLU); AuxK revives dead latents. */
final class TopKArch implements SaeArchitecture {
    @Override
    public String name() {
        return "topk";
    }

    @Override
    public boolean usesK() {
        return true;
    }

    @Override
    public boolean auxK() {
        return true;
    }

    @Override
    public String activationFn() {
        return "topk";
    }

    @Override
    public SparseCodes activate(Latents l, float[] pre, int rows) {
        return SparseCodes.topK(pre, rows, l.count(), l.k(), null);
    }
}
