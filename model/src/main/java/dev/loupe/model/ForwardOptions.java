package dev.loupe.model;

import dev.loupe.core.Tensor;

/**
 * How much of the forward pass to run.
 *
 * @param stopAfterLayer last block to run (-1 runs everything and returns logits); when set, the forward
 *     returns that block's output residual and skips the rest of the model
 * @param lastPositionLogits compute logits for the last position only (generation)
 * @param startLayer first block to run; any value but 0 needs {@code startResidual}
 * @param startResidual [batch, pos, d_model]: the residual stream entering block {@code startLayer} (it
 *     fires as that block's {@code hook_resid_pre}), or null to start from the token embeddings. When set,
 *     nothing before the block runs: no embedding, no earlier blocks, no hooks before it fire; the tokens
 *     only give the batch and position sizes. Patching sweeps use this to reuse a cached prefix instead of
 *     recomputing blocks a patch cannot change. Not combinable with a KV cache.
 */
public record ForwardOptions(int stopAfterLayer, boolean lastPositionLogits, int startLayer, Tensor startResidual) {
    public static final ForwardOptions FULL = new ForwardOptions(-1, false);
    public static final ForwardOptions LAST_LOGITS = new ForwardOptions(-1, true);

    public ForwardOptions {
        if (startLayer < 0 || (startLayer > 0 && startResidual == null)) {
            throw new IllegalArgumentException("starting at block " + startLayer + " needs the residual entering it (startResidual)");
        }
    }

    public ForwardOptions(int stopAfterLayer, boolean lastPositionLogits) {
        this(stopAfterLayer, lastPositionLogits, 0, null);
    }

    /** These options, but starting at block {@code layer} from {@code residual} [batch, pos, d_model]. */
    public ForwardOptions startingAt(int layer, Tensor residual) {
        return new ForwardOptions(stopAfterLayer, lastPositionLogits, layer, residual);
    }
}
