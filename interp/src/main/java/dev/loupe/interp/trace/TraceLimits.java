package dev.loupe.interp.trace;

/**
 * What one trace may use, checked before it runs (from inferred shapes and estimated work) and again while it runs.
 *
 * @param maxNodes nodes in a graph
 * @param maxInvokes input sequences in a trace
 * @param maxSteps generation steps
 * @param maxElements elements of any one value
 * @param maxBytes bytes of all values plus the forward pass's activations (estimated, then counted)
 * @param maxSeconds estimated running time
 * @param flopsPerSecond the rate used to turn estimated floating-point work into seconds
 */
public record TraceLimits(int maxNodes, int maxInvokes, int maxSteps, long maxElements, long maxBytes, double maxSeconds, double flopsPerSecond) {
    public static final TraceLimits DEFAULT = new TraceLimits(100_000, 512, 256, 1L << 27, 2L << 30, 60, 2e9);
}
