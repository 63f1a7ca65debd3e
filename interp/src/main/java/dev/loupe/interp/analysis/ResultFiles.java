package dev.loupe.interp.analysis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.model.format.AtomicFile;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.SafeTensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Saves an analysis as two files beside each other: {@code NAME.safetensors} with its tensors and
 * {@code NAME.json} with its tables and settings (both written atomically). {@code out} may end in either
 * extension or none.
 */
public final class ResultFiles {
    public static final ObjectMapper JSON = Json.MAPPER;

    private ResultFiles() {}

    /** Writes the tensors and the JSON; returns the two paths written. */
    public static Path[] write(Path out, Map<String, Tensor> tensors, ObjectNode json) throws IOException {
        String name = out.getFileName().toString().replaceFirst("\\.(safetensors|json)$", "");
        Path st = out.resolveSibling(name + ".safetensors"), js = out.resolveSibling(name + ".json");
        SafeTensorsWriter w = new SafeTensorsWriter();
        tensors.forEach(w::add);
        w.metadata("analysis", json.path("analysis").asText());
        w.write(st);
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json).getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(js, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        });
        return new Path[] {st, js};
    }

    /** A [rows, cols] tensor as nested JSON arrays. */
    public static ArrayNode grid(Tensor t) {
        ArrayNode rows = JSON.createArrayNode();
        for (int r = 0; r < t.size(0); r++) {
            ArrayNode row = rows.addArray();
            for (int c = 0; c < t.size(1); c++) row.add(t.get(r, c));
        }
        return rows;
    }
}
