package dev.loupe.model;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/** Suggestions for a misspelt name (tensor, hook, reference): the few known names closest in edit distance. */
public final class NearestNames {
    private NearestNames() {}

    /** Up to {@code k} of {@code names} nearest to {@code wanted}, closest first (ties by name). */
    public static List<String> nearest(String wanted, Collection<String> names, int k) {
        return names.stream()
                .sorted(Comparator.comparingInt((String n) -> distance(wanted, n)).thenComparing(n -> n))
                .limit(k)
                .toList();
    }

    /** {@link #nearest} as "'a', 'b'", or "(the store is empty)". */
    public static String describe(String wanted, Collection<String> names, int k) {
        if (names.isEmpty()) return "(the store is empty)";
        return nearest(wanted, names, k).stream().map(n -> "'" + n + "'").collect(Collectors.joining(", "));
    }

    /** Levenshtein distance. */
    public static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
