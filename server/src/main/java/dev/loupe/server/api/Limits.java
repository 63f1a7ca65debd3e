package dev.loupe.server.api;

/**
 * Per-request limits, fixed at start-up.
 *
 * @param maxTokens longest input (prompt) in tokens
 * @param maxNewTokens most tokens one generation request may ask for
 * @param maxResponseBytes largest encoded response
 * @param maxCacheBytes most activation bytes one request may record before reductions
 * @param maxBodyBytes largest request body
 * @param timeoutMillis time from arrival to answer (queueing included)
 * @param maxGraphBytes most bytes an attribution graph or QK attribution may need beyond the weights, by its memory
 *                      plan ({@link dev.loupe.circuits.MemoryPlan}); a graph sets its batch size to fit, or is refused
 */
public record Limits(int maxTokens, int maxNewTokens, long maxResponseBytes, long maxCacheBytes, int maxBodyBytes, long timeoutMillis,
                     long maxGraphBytes) {
    /** A quarter of the heap: one graph at a time runs on the model thread, beside the requests in flight. */
    public static final long DEFAULT_GRAPH_BYTES = Runtime.getRuntime().maxMemory() / 4;

    public static final Limits DEFAULT = new Limits(1024, 256, 64L << 20, 256L << 20, 8 << 20, 60_000);

    /** With the default graph memory, {@link #DEFAULT_GRAPH_BYTES}. */
    public Limits(int maxTokens, int maxNewTokens, long maxResponseBytes, long maxCacheBytes, int maxBodyBytes, long timeoutMillis) {
        this(maxTokens, maxNewTokens, maxResponseBytes, maxCacheBytes, maxBodyBytes, timeoutMillis, DEFAULT_GRAPH_BYTES);
    }
}
