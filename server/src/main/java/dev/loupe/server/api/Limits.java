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
 */
public record Limits(int maxTokens, int maxNewTokens, long maxResponseBytes, long maxCacheBytes, int maxBodyBytes, long timeoutMillis) {
    public static final Limits DEFAULT = new Limits(1024, 256, 64L << 20, 256L << 20, 8 << 20, 60_000);
}
