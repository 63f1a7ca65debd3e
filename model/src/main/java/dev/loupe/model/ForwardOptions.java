package dev.loupe.model;

/**
 * How much of the forward pass to run.
 *
 * @param stopAfterLayer last block to run (-1 runs everything and returns logits); when set, the forward
 *     returns that block's output residual and skips the rest of the model
 * @param lastPositionLogits compute logits for the last position only (generation)
 */
public record ForwardOptions(int stopAfterLayer, boolean lastPositionLogits) {
    public static final ForwardOptions FULL = new ForwardOptions(-1, false);
    public static final ForwardOptions LAST_LOGITS = new ForwardOptions(-1, true);
}
