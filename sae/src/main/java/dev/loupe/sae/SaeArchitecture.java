package dev.loupe.sae;

/**
 * One dictionary architecture and everything that differs between architectures: how pre-activations become
 * sparse codes (inference and training), which parameters it carries (k, a threshold), how decoder rows are
 * constrained, what it adds to the reconstruction loss, and the names it is saved under (SAELens's
 * {@code architecture} and {@code activation_fn_str}, and what it is saved as for inference). The trainers,
 * the evaluator, the splice and {@link SaeLensFormat} ask the architecture and never switch on names, so a new
 * kind is one class plus one {@link SaeArchitectures#register} call. The same activations and penalties serve
 * SAEs and transcoders (see {@link LatentStep}).
 *
 * <p>Every architecture here has ∂f/∂pre = 1 on its active set and 0 elsewhere, which the shared backward
 * kernels rely on.
 */
public interface SaeArchitecture {
    /** Registry and SAELens {@code architecture} name. */
    String name();

    /** SAELens's {@code activation_fn_str} written beside the architecture ({@code relu} unless overridden). */
    default String activationFn() {
        return "relu";
    }

    /** The architecture a trained dictionary is saved and served as (BatchTopK is a JumpReLU at inference). */
    default String inferenceName() {
        return name();
    }

    /** Whether {@code k} (latents per token) is a parameter. */
    default boolean usesK() {
        return false;
    }

    /** Whether the dictionary carries a per-latent {@code threshold} tensor. */
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

    /** Sparse codes of pre-activations [rows, count] at inference. */
    SparseCodes activate(Latents latents, float[] pre, int rows);

    /** Sparse codes during training (BatchTopK selects across the batch here and tracks its threshold). */
    default SparseCodes activateForTraining(Latents latents, float[] pre, int rows) {
        return activate(latents, pre, rows);
    }

    /**
     * The architecture's extra loss (the sparsity penalty, weighted by {@code step.coefficient}) and its
     * gradients. Returns the penalty's value.
     */
    default double extraLoss(LatentStep step) {
        return 0;
    }
}
