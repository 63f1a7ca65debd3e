package dev.loupe.circuits;

import dev.loupe.model.TransformerConfig;

/**
 * Sizes the backward passes to a memory budget. A copy of the replacement model in one batched pass holds about
 * ten [pos, d_model] activations per layer (norm outputs, values, mixes, attention outputs, residuals and their
 * gradients) plus [pos, d_model] gradients at every MLP output and the embeddings; the frozen attention patterns
 * ([heads, pos, pos] per layer) are held once.
 */
public final class MemoryPlan {
    private static final int ACTIVATIONS_PER_LAYER = 10;

    private MemoryPlan() {}

    /** Bytes one copy of the replacement model needs in a batched backward pass. */
    public static long bytesPerCopy(TransformerConfig cfg, int pos) {
        return 4L * pos * cfg.dModel() * (ACTIVATIONS_PER_LAYER * cfg.nLayers() + cfg.nLayers() + 1);
    }

    /** Bytes of the frozen patterns. */
    public static long patternBytes(TransformerConfig cfg, int pos) {
        return 4L * cfg.nLayers() * cfg.nHeads() * pos * pos;
    }

    /** The largest batch (1..256) whose passes fit {@code budget} bytes next to the frozen patterns; 1 if none does. */
    public static int batchSize(TransformerConfig cfg, int pos, long budget) {
        long free = budget - patternBytes(cfg, pos);
        return (int) Math.max(1, Math.min(256, free / Math.max(1, bytesPerCopy(cfg, pos))));
    }
}
