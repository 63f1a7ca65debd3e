package dev.loupe.interp.steer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.format.JsonLines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Two prompts that differ in the concept a steering vector should capture (positive minus negative). */
public record ContrastPair(String positive, String negative) {
    /** Pairs from a JSONL file, one {@code {"positive": "...", "negative": "..."}} a line; blank lines skipped. */
    public static List<ContrastPair> read(Path file) throws IOException {
        List<ContrastPair> pairs = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            JsonNode n = JsonLines.object(file, i + 1, line);
            pairs.add(new ContrastPair(JsonLines.text(n, file, i + 1, "positive"), JsonLines.text(n, file, i + 1, "negative")));
        }
        if (pairs.isEmpty()) throw new IllegalArgumentException(file + ": no contrast pairs");
        return pairs;
    }
}
