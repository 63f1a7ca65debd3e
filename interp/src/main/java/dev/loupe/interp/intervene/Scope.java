package dev.loupe.interp.intervene;

import java.util.Arrays;

/**
 * Where in an activation an intervention applies.
 *
 * @param positions absolute sequence positions (query positions for attention scores/patterns)
 * @param heads attention heads (for per-head hooks), or null for all
 * @param rows batch rows, or null for all; lets each row of one batch carry its own interventions
 */
public record Scope(Positions positions, int[] heads, int[] rows) {
    public static final Scope EVERYWHERE = new Scope(Positions.ALL, null, null);

    /** Heads and rows are kept sorted and distinct, so a long list of repeats costs no more than its distinct values. */
    public Scope {
        heads = distinct(heads);
        rows = distinct(rows);
    }

    public boolean hasRow(int row) {
        return contains(rows, row);
    }

    public boolean hasHead(int head) {
        return contains(heads, head);
    }

    private static boolean contains(int[] list, int v) {
        return list == null || Arrays.binarySearch(list, v) >= 0;
    }

    private static int[] distinct(int[] list) {
        return list == null ? null : Arrays.stream(list).sorted().distinct().toArray();
    }
}
