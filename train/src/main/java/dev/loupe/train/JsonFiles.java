package dev.loupe.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.model.format.AtomicFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** Writes pretty-printed JSON files atomically (config.json, training.json, results.json). */
public final class JsonFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonFiles() {}

    /** Serialises {@code tree} (a Jackson node, record, map or list) to {@code file}. */
    public static void write(Path file, Object tree) throws IOException {
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(tree);
        AtomicFile.write(file, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        });
    }
}
