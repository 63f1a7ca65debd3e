package dev.loupe.sae;

/**
 * One SAE architecture: how pre-activations become sparse codes, and what it adds to the
 * reconstruction loss. Registered by name in {@link SaeArchitectures}; the names are SAELens's.
 * Every architecture here has ∂f/∂pre = 1 on its active set and 0 elsewhere, which the shared
 * backward kernel in {@link TrainStep} relies on.
 */
public interface SaeArchitecture {
    /** Registry and SAELens {@code architecture} name. */
    String name();

    /** Whether {@code k} (latents per token) is a parameter. */
    default boolean usesK() {
        return false;
    }

    /** Whether the SAE carries a per-latent {@code threshold} tensor. */
    default boolean hasThreshold() {
        return false;
    }

    /** Whether the threshold is trained by gradient (JumpReLU) rather than tracked (BatchTopK). */
    default boolean trainsThreshold() {
        return false;
    }

    /** Whether decoder rows are kept at unit norm (with the parallel gradient component removed before each step). */
    default boolean unitNormDecoder() {
        return true;
    }

    /** Whether dead latents get the AuxK auxiliary loss (Gao et al. 2024). */
    default boolean auxK() {
        return false;
    }

    /** Initial decoder row norm (Anthropic's ReLU recipe starts small; unit-norm methods start at 1). */
    default float initialDecoderNorm() {
        return 1f;
    }

    /** Sparse codes of pre-activations [rows, d_sae] at inference. */
    SparseCodes activate(Sae sae, float[] pre, int rows);

    /** Sparse codes during training (BatchTopK selects across the batch here and tracks its threshold). */
    default SparseCodes activateForTraining(Sae sae, float[] pre, int rows) {
        return activate(sae, pre, rows);
    }

    /**
     * The architecture's extra loss (the sparsity penalty, weighted by {@code step.coefficient}) and its
     * gradients: adds ∂/∂f of the active codes into {@code step.dCodes} and parameter gradients into
     * {@code step.grads}. Returns the penalty's value.
     */
    default double extraLoss(TrainStep step) {
        return 0;
    }
}
