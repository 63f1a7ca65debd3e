package dev.loupe.interp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.model.format.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Documents of a text dataset: a {@code .jsonl} file with one JSON object a line (its {@code "text"}
 * field), or any other file with one document a non-empty line.
 */
public final class TextDataset {
    private static final ObjectMapper JSON = Json.MAPPER;

    private TextDataset() {}

    public static List<String> read(Path file, int maxDocuments) throws IOException {
        boolean jsonl = file.getFileName().toString().endsWith(".jsonl");
        List<String> docs = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size() && docs.size() < maxDocuments; i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            docs.add(jsonl ? field(jsonLine(file, i, line), file, i, "text") : line);
        }
        if (docs.isEmpty()) throw new IllegalArgumentException(file + ": no documents");
        return docs;
    }

    /** Line {@code index} (0-based) of a JSONL file as an object; errors name the file and line. */
    public static JsonNode jsonLine(Path file, int index, String line) {
        try {
            JsonNode n = JSON.readTree(line);
            if (n != null && n.isObject()) return n;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " line " + (index + 1) + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        throw new IllegalArgumentException(file + " line " + (index + 1) + ": expected a JSON object");
    }

    /** A string field of a JSONL line; errors name the file, line and field. */
    public static String field(JsonNode n, Path file, int index, String name) {
        JsonNode v = n.get(name);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(file + " line " + (index + 1) + ": expected a string field \"" + name + "\"");
        }
        return v.asText();
    }
}
