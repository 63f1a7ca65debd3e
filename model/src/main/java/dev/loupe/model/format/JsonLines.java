package dev.loupe.model.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loupe's one reader of JSON-lines files (datasets, contrast pairs): one JSON object a line, each parsed strictly by
 * the shared mapper, blank lines skipped, every error naming the file, the line and the field.
 */
public final class JsonLines {
    private JsonLines() {}

    /** Whether {@code file} is JSON lines by its name ({@code .jsonl}, {@code .ndjson}). */
    public static boolean isJsonLines(Path file) {
        String n = file.getFileName().toString();
        return n.endsWith(".jsonl") || n.endsWith(".ndjson");
    }

    /** Line {@code line} (1-based) of {@code file}, {@code text}, as a JSON object. */
    public static JsonNode object(Path file, long line, String text) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ":" + line + ": not a JSON object (" + JsonErrors.describe(e) + ")");
        }
        if (node == null || !node.isObject()) throw new IllegalArgumentException(file + ":" + line + ": not a JSON object");
        return node;
    }

    /** The string field {@code field} of line {@code line}'s object. */
    public static String text(JsonNode node, Path file, long line, String field) {
        JsonNode t = node.get(field);
        if (t == null || !t.isTextual()) {
            List<String> fields = new ArrayList<>();
            node.fieldNames().forEachRemaining(fields::add);
            throw new IllegalArgumentException(file + ":" + line + ": no string field '" + field + "' (fields: " + fields + ")");
        }
        return t.asText();
    }

    /** The {@code field} of every object of a JSON-lines file (whatever its name), at most {@code max}. */
    public static List<String> fields(Path file, String field, int max) throws IOException {
        return read(file, true, field, max);
    }

    /**
     * The documents of a dataset, at most {@code max}: the {@code field} of each line of a JSON-lines file
     * ({@link #isJsonLines}), or each non-blank line of any other file. None at all is an error naming the file.
     */
    public static List<String> documents(Path file, String field, int max) throws IOException {
        return read(file, isJsonLines(file), field, max);
    }

    private static List<String> read(Path file, boolean json, String field, int max) throws IOException {
        List<String> docs = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long line = 0;
            for (String text; docs.size() < max && (text = r.readLine()) != null; ) {
                line++;
                if (text.isBlank()) continue;
                docs.add(json ? text(object(file, line, text), file, line, field) : text);
            }
        }
        if (docs.isEmpty()) throw new IllegalArgumentException(file + ": no documents");
        return docs;
    }
}
