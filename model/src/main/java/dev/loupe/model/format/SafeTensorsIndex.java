package dev.loupe.model.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A sharded checkpoint's index ({@code model.safetensors.index.json}): {@code weight_map} from
 * tensor name to shard file (relative to the index's folder) and optional {@code metadata}.
 *
 * @param file       the index file itself
 * @param weightMap  tensor name to shard file name, in index order
 * @param metadata   the index's metadata, values as text (e.g. {@code total_size})
 */
public record SafeTensorsIndex(Path file, Map<String, String> weightMap, Map<String, String> metadata) {
    private static final ObjectMapper JSON = Json.MAPPER;

    public SafeTensorsIndex {
        weightMap = Collections.unmodifiableMap(new LinkedHashMap<>(weightMap));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** Reads and checks an index: every shard must be a plain file name inside the index's folder. */
    public static SafeTensorsIndex read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new FormatException(file + ": not valid JSON: " + JsonErrors.describe(e), e);
        }
        JsonNode wm = root == null ? null : root.get("weight_map");
        if (wm == null || !wm.isObject()) throw new FormatException(file + ": missing object 'weight_map'");
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (var e : wm.properties()) {
            String shard = e.getValue().asText();
            if (!e.getValue().isTextual() || shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals("..")) {
                throw new FormatException(file + ": weight_map entry '" + e.getKey() + "' names shard " + e.getValue()
                        + ", which is not a file name beside the index");
            }
            weightMap.put(e.getKey(), shard);
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        JsonNode md = root.get("metadata");
        if (md != null && md.isObject()) md.properties().forEach(e -> metadata.put(e.getKey(), e.getValue().asText()));
        return new SafeTensorsIndex(file, weightMap, metadata);
    }

    /** Shard file names in first-use order. */
    public List<String> shards() {
        return new ArrayList<>(new LinkedHashSet<>(weightMap.values()));
    }

    /** Opens every shard and returns one store over all of them; each listed tensor must be in its shard. */
    public WeightStore open() throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Map<String, WeightStore> byShard = new LinkedHashMap<>();
        try {
            for (String shard : shards()) {
                Path p = dir.resolve(shard);
                if (!Files.isRegularFile(p)) throw new FormatException(file + ": shard '" + shard + "' is missing from " + dir);
                byShard.put(shard, SafeTensors.open(p));
            }
            Map<String, WeightStore> byName = new LinkedHashMap<>();
            for (var e : weightMap.entrySet()) {
                WeightStore s = byShard.get(e.getValue());
                if (!s.contains(e.getKey())) {
                    throw new FormatException(file + ": weight_map puts '" + e.getKey() + "' in shard '" + e.getValue()
                            + "', which has no such tensor");
                }
                byName.put(e.getKey(), s);
            }
            return new ShardedWeightStore(file.toString(), byName, List.copyOf(byShard.values()), metadata);
        } catch (IOException | RuntimeException e) {
            byShard.values().forEach(WeightStore::close);
            throw e;
        }
    }

    /** Writes {@code weightMap} and {@code metadata} as an index file, atomically. */
    public static void write(Path file, Map<String, String> weightMap, Map<String, String> metadata) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode md = root.putObject("metadata");
        metadata.forEach(md::put);
        ObjectNode wm = root.putObject("weight_map");
        weightMap.forEach(wm::put);
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, ch -> ch.write(ByteBuffer.wrap(bytes)));
    }
}
