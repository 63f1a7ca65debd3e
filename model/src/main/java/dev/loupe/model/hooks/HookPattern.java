package dev.loupe.model.hooks;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Selects hook points by name: an exact name, or a glob where {@code *} matches any run of characters
 * (e.g. {@code blocks.*.hook_resid_post}, {@code blocks.3.attn.*}). A pattern that selects nothing is an
 * error that suggests the nearest names.
 */
public final class HookPattern {
    private HookPattern() {}

    /** The hook points of {@code index} that {@code pattern} selects, in forward order. */
    public static List<HookSpec> select(HookIndex index, String pattern) {
        HookSpec exact = index.get(pattern);
        if (exact != null) return List.of(exact);
        List<HookSpec> hits = new ArrayList<>();
        if (pattern.contains("*")) {
            Pattern re = Pattern.compile(globToRegex(pattern));
            for (HookSpec s : index.specs()) if (re.matcher(s.name()).matches()) hits.add(s);
        }
        if (hits.isEmpty()) {
            throw new IllegalArgumentException("unknown hook '" + pattern + "'; nearest: " + String.join(", ", nearest(index, pattern, 3)));
        }
        return hits;
    }

    static String globToRegex(String glob) {
        StringBuilder sb = new StringBuilder();
        for (String part : glob.split("\\*", -1)) {
            if (!sb.isEmpty()) sb.append(".*");
            sb.append(Pattern.quote(part));
        }
        return sb.toString();
    }

    /** The {@code n} hook names closest to {@code name} by edit distance. */
    public static List<String> nearest(HookIndex index, String name, int n) {
        return index.specs().stream()
                .map(HookSpec::name)
                .sorted(Comparator.comparingInt((String s) -> editDistance(s, name)).thenComparing(s -> s))
                .limit(n)
                .toList();
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
