package dev.loupe.circuits;

/**
 * Settings of one attribution graph (circuit-tracer's names and defaults).
 *
 * @param maxNLogits at most this many logit targets
 * @param desiredLogitProb logit targets are the most probable next tokens until their cumulative probability reaches this
 * @param maxFeatureNodes at most this many feature nodes, visited in order of influence on the logits (all when ≥ the active count)
 * @param batchSize targets per backward pass (the most, under a memory budget)
 * @param maxMemory bytes the graph may use beyond the weights ({@link MemoryPlan}); 0 for no bound. It sets the batch
 *                  size, or refuses the graph before anything large is allocated.
 */
public record AttributionOptions(int maxNLogits, double desiredLogitProb, int maxFeatureNodes, int batchSize, long maxMemory) {
    public static final AttributionOptions DEFAULTS = new AttributionOptions(10, 0.95, Integer.MAX_VALUE, 32, 0);

    public AttributionOptions {
        if (maxNLogits < 1) throw new IllegalArgumentException("max-n-logits must be at least 1, got " + maxNLogits);
        if (!(desiredLogitProb > 0 && desiredLogitProb <= 1)) throw new IllegalArgumentException("desired-logit-prob must be in (0, 1], got " + desiredLogitProb);
        if (maxFeatureNodes < 0) throw new IllegalArgumentException("max-feature-nodes must be non-negative, got " + maxFeatureNodes);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        if (maxMemory < 0) throw new IllegalArgumentException("max-memory must be non-negative, got " + maxMemory);
    }

    /** Without a memory bound. */
    public AttributionOptions(int maxNLogits, double desiredLogitProb, int maxFeatureNodes, int batchSize) {
        this(maxNLogits, desiredLogitProb, maxFeatureNodes, batchSize, 0);
    }

    public AttributionOptions withMaxFeatureNodes(int n) {
        return new AttributionOptions(maxNLogits, desiredLogitProb, n, batchSize, maxMemory);
    }

    public AttributionOptions withBatchSize(int n) {
        return new AttributionOptions(maxNLogits, desiredLogitProb, maxFeatureNodes, n, maxMemory);
    }

    public AttributionOptions withLogits(int maxN, double desiredProb) {
        return new AttributionOptions(maxN, desiredProb, maxFeatureNodes, batchSize, maxMemory);
    }

    public AttributionOptions withMaxMemory(long bytes) {
        return new AttributionOptions(maxNLogits, desiredLogitProb, maxFeatureNodes, batchSize, bytes);
    }
}
