package dev.loupe.model.format;

import java.util.Collection;
import java.util.Comparator;
import java.util.stream.Collectors;

/** Suggestions for a misspelt tensor name: the few existing names closest in edit distance. */
final class NearestNames {
    private NearestNames() {}

    /** Up to {@code k} of {@code names} nearest to {@code wanted}, as "'a', 'b'", or "(none)" when empty. */
    static String describe(String wanted, Collection<String> names, int k) {
        if (names.isEmpty()) return "(the store is empty)";
        return names.stream()
                .sorted(Comparator.comparingInt((String n) -> distance(wanted, n)).thenComparing(n -> n))
                .limit(k)
                .map(n -> "'" + n + "'")
                .collect(Collectors.joining(", "));
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
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
