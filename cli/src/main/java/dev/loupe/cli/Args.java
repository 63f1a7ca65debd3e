package dev.loupe.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Parsed {@code --name value} options and {@code --flag}s of one command; unknown names are errors. */
final class Args {
    /** Options renamed so that every command names the same thing alike: old name → new name. */
    static final Map<String, String> RENAMED = Map.of("dataset", "data", "text-field", "field");

    private final String command;
    private final Map<String, List<String>> values = new HashMap<>();

    /**
     * @param valued options that take a value (repeatable ones keep every value)
     * @param flags options without a value
     */
    Args(String command, String[] argv, int from, Set<String> valued, Set<String> flags) {
        this.command = command;
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) throw new UsageException(command + ": unexpected argument '" + a + "'");
            String name = a.substring(2);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (flags.contains(name) && inline == null) {
                values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (valued.contains(name)) {
                String v = inline;
                if (v == null) {
                    if (i + 1 >= argv.length) throw new UsageException(command + ": --" + name + " needs a value");
                    v = argv[++i];
                }
                values.computeIfAbsent(name, k -> new ArrayList<>()).add(v);
            } else if (RENAMED.containsKey(name) && (valued.contains(RENAMED.get(name)) || flags.contains(RENAMED.get(name)))) {
                throw new UsageException(command + ": --" + name + " is now --" + RENAMED.get(name) + " (the same name in every loupe command)");
            } else {
                List<String> known = new ArrayList<>(valued);
                known.addAll(flags);
                known.sort(null);
                throw new UsageException(command + ": unknown option --" + name + " (options: --" + String.join(", --", known) + ")");
            }
        }
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String get(String name) {
        List<String> v = values.get(name);
        return v == null ? null : v.getLast();
    }

    String require(String name) {
        String v = get(name);
        if (v == null) throw new UsageException(command + ": --" + name + " is required");
        return v;
    }

    String getOr(String name, String fallback) {
        String v = get(name);
        return v == null ? fallback : v;
    }

    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    int intOr(String name, int fallback) {
        String v = get(name);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " expects an integer, got '" + v + "'");
        }
    }

    double doubleOr(String name, double fallback) {
        String v = get(name);
        if (v == null) return fallback;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " expects a number, got '" + v + "'");
        }
    }

    /** A usage mistake: printed with the command's help hint, exit code 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
