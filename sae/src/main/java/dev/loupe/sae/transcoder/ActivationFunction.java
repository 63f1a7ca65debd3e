package dev.loupe.sae.transcoder;

import dev.loupe.sae.SparseCodes;
import java.util.Locale;

/**
 * How a transcoder turns pre-activations into features: ReLU, JumpReLU (a per-feature threshold θ, f = pre · H(pre − θ))
 * or TopK (the k largest positive pre-activations per row).
 */
public enum ActivationFunction {
    RELU, JUMPRELU, TOPK;

    /** Sparse features of pre-activations [rows, width]; threshold [width] for JumpReLU, k for TopK. */
    public SparseCodes apply(float[] pre, int rows, int width, float[] threshold, int k) {
        return switch (this) {
            case RELU -> SparseCodes.above(pre, rows, width, null);
            case JUMPRELU -> SparseCodes.above(pre, rows, width, threshold);
            case TOPK -> SparseCodes.topK(pre, rows, width, k, null);
        };
    }

    /** circuit-tracer's and SAELens's spellings: relu, jumprelu / jump_relu, topk. */
    public static ActivationFunction parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "")) {
            case "relu" -> RELU;
            case "jumprelu" -> JUMPRELU;
            case "topk" -> TOPK;
            default -> throw new IllegalArgumentException("unknown transcoder activation '" + name + "' (expected relu, jumprelu or topk)");
        };
    }

    /** The name circuit-tracer's config uses. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
