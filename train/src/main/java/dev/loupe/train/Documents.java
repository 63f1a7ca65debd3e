package dev.loupe.train;

import dev.loupe.model.format.JsonLines;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads a text dataset: JSON lines ({@code .jsonl}/{@code .json}, one object a line with a string
 * {@code "text"} field, one document each) or any other file as plain text (one document).
 */
public final class Documents {
    private Documents() {}

    public static List<String> read(Path file) throws IOException {
        return read(file, null);
    }

    /**
     * The documents of {@code file} except those whose string {@code "id"} field matches {@code excludeIds} in full
     * (null excludes none). Excluding needs a JSON-lines file, and a pattern that matches no id is an error.
     */
    public static List<String> read(Path file, Pattern excludeIds) throws IOException {
        if (excludeIds == null) {
            return isJsonLines(file) ? JsonLines.fields(file, "text", Integer.MAX_VALUE) : List.of(Files.readString(file, StandardCharsets.UTF_8));
        }
        return byId(file, excludeIds, false);
    }

    /** The documents whose {@code "id"} matches {@code ids} in full ({@code matching}) or does not; a pattern
     * matching no id or every id is an error. */
    static List<String> byId(Path file, Pattern ids, boolean matching) throws IOException {
        if (!isJsonLines(file)) throw new IllegalArgumentException(file + ": selecting documents by id needs JSON lines with an \"id\" field");
        List<String> idList = JsonLines.fields(file, "id", Integer.MAX_VALUE), texts = JsonLines.fields(file, "text", Integer.MAX_VALUE);
        List<String> out = new ArrayList<>();
        int matched = 0;
        for (int i = 0; i < texts.size(); i++) {
            boolean m = ids.matcher(idList.get(i)).matches();
            if (m) matched++;
            if (m == matching) out.add(texts.get(i));
        }
        if (matched == 0 || matched == texts.size()) {
            throw new IllegalArgumentException(file + ": the id pattern '" + ids + "' matches " + (matched == 0 ? "no" : "every") + " document id");
        }
        return out;
    }

    private static boolean isJsonLines(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".jsonl") || name.endsWith(".json");
    }
}
