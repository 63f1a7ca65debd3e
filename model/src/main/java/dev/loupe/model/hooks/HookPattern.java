package dev.loupe.model.hooks;

import dev.loupe.model.NearestNames;
import java.util.ArrayList;
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
        return NearestNames.nearest(name, index.specs().stream().map(HookSpec::name).toList(), n);
    }
}
