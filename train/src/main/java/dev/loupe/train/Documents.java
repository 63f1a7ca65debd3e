package dev.loupe.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.model.format.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a text dataset: JSON lines ({@code .jsonl}/{@code .json}, one object a line with a string
 * {@code "text"} field, one document each) or any other file as plain text (one document).
 */
public final class Documents {
    private Documents() {}

    public static List<String> read(Path file) throws IOException {
        String name = file.getFileName().toString();
        if (!name.endsWith(".jsonl") && !name.endsWith(".json")) return List.of(Files.readString(file, StandardCharsets.UTF_8));
        ObjectMapper json = Json.MAPPER;
        List<String> docs = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNo = 0;
            for (String line; (line = r.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) continue;
                JsonNode text;
                try {
                    text = json.readTree(line).get("text");
                } catch (IOException e) {
                    throw new IOException(file + ": line " + lineNo + " is not valid JSON: " + e.getMessage(), e);
                }
                if (text == null || !text.isTextual()) {
                    throw new IOException(file + ": line " + lineNo + " has no string field \"text\"");
                }
                docs.add(text.textValue());
            }
        }
        if (docs.isEmpty()) throw new IOException(file + ": no documents");
        return docs;
    }
}
