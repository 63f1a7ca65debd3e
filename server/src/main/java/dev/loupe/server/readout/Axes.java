package dev.loupe.server.readout;

import dev.loupe.model.hooks.Site;

/**
 * Where positions and heads sit in one row of a hook's activation (the batch axis removed): attention scores
 * and patterns are [n_heads, query_pos, key_pos]; q/k/v/z are [pos, n_heads, d_head]; the rest [pos, d].
 * {@code heads} is -1 when the activation has no head axis.
 */
public record Axes(int pos, int heads) {
    public static final Axes PLAIN = new Axes(0, -1);

    public static Axes of(Site site) {
        return switch (site) {
            case ATTN_SCORES, PATTERN -> new Axes(1, 0);
            case Q, K, V, ROT_Q, ROT_K, Z -> new Axes(0, 1);
            default -> PLAIN;
        };
    }
}
