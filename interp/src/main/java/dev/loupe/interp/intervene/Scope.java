package dev.loupe.interp.intervene;

/**
 * Where in an activation an intervention applies.
 *
 * @param positions absolute sequence positions (query positions for attention scores/patterns)
 * @param heads attention heads (for per-head hooks), or null for all
 * @param rows batch rows, or null for all; lets each row of one batch carry its own interventions
 */
public record Scope(Positions positions, int[] heads, int[] rows) {
    public static final Scope EVERYWHERE = new Scope(Positions.ALL, null, null);

    public boolean hasRow(int row) {
        return contains(rows, row);
    }

    public boolean hasHead(int head) {
        return contains(heads, head);
    }

    private static boolean contains(int[] list, int v) {
        if (list == null) return true;
        for (int x : list) if (x == v) return true;
        return false;
    }
}
