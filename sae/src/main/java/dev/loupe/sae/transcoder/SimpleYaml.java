package dev.loupe.sae.transcoder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The YAML subset transcoder configs are written in: top-level {@code key: scalar} lines, and top-level keys
 * holding a block list whose items are scalars ({@code - layer_0.safetensors}) or flat mappings
 * ({@code - id: x} followed by indented {@code layer: 0}, {@code filepath: ...}). Comments, blank lines and
 * single or double quotes are handled; anything else is refused with its line number.
 */
final class SimpleYaml {
    private SimpleYaml() {}

    /** Scalars as String; lists as List of String or of Map&lt;String, String&gt;. */
    static Map<String, Object> parse(String text, String file) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<Object> list = null;
        Map<String, String> item = null;
        String[] lines = text.split("\r?\n");
        for (int n = 0; n < lines.length; n++) {
            String raw = stripComment(lines[n]);
            if (raw.isBlank() || raw.strip().equals("---")) continue;
            int indent = raw.length() - raw.stripLeading().length();
            String line = raw.strip();
            String where = file + " line " + (n + 1);
            if (indent == 0 && !line.startsWith("-")) {
                int colon = colon(line, where);
                String key = line.substring(0, colon).strip(), value = line.substring(colon + 1).strip();
                item = null;
                if (value.isEmpty()) {
                    list = new ArrayList<>();
                    out.put(key, list);
                } else {
                    list = null;
                    out.put(key, unquote(value));
                }
            } else if (line.startsWith("-")) {
                if (list == null) throw new IllegalArgumentException(where + ": a list item outside a list");
                String value = line.substring(1).strip();
                if (value.contains(": ") || value.endsWith(":")) {
                    item = new LinkedHashMap<>();
                    putEntry(item, value, where);
                    list.add(item);
                } else {
                    item = null;
                    list.add(unquote(value));
                }
            } else {
                if (item == null) throw new IllegalArgumentException(where + ": unexpected indented line '" + line + "'");
                putEntry(item, line, where);
            }
        }
        return out;
    }

    private static void putEntry(Map<String, String> map, String line, String where) {
        int colon = colon(line, where);
        map.put(line.substring(0, colon).strip(), unquote(line.substring(colon + 1).strip()));
    }

    private static int colon(String line, String where) {
        int c = line.indexOf(':');
        if (c <= 0) throw new IllegalArgumentException(where + ": expected 'key: value' but got '" + line + "'");
        return c;
    }

    private static String stripComment(String line) {
        boolean single = false, dbl = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '\'' && !dbl) single = !single;
            else if (ch == '"' && !single) dbl = !dbl;
            else if (ch == '#' && !single && !dbl && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) return line.substring(0, i);
        }
        return line;
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && (v.charAt(0) == '"' || v.charAt(0) == '\'') && v.charAt(v.length() - 1) == v.charAt(0)) {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }
}
