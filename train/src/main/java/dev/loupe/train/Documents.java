package dev.loupe.train;

import dev.loupe.model.format.JsonLines;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
        return JsonLines.fields(file, "text", Integer.MAX_VALUE);
    }
}
