package dev.loupe.server.readout;

import dev.loupe.model.hooks.Dim;
import dev.loupe.model.hooks.Site;

/**
 * Where positions and heads sit in one row of a hook's activation (the batch axis removed): attention scores
 * and patterns are [n_heads, query_pos, key_pos]; q/k/v/z are [pos, n_heads, d_head]; the rest [pos, d].
 * {@code heads} is -1 when the activation has no head axis.
 */
public record Axes(int pos, int heads) {
    public static final Axes PLAIN = new Axes(0, -1);

    /** Read from the site's axes ({@link Site#dims()}). */
    public static Axes of(Site site) {
        return new Axes(site.rowAxis(d -> d == Dim.POS || d == Dim.QUERY_POS), site.rowAxis(Dim::heads));
    }
}
