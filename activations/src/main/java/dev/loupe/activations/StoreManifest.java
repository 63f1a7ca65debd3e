package dev.loupe.activations;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.loupe.model.format.AtomicFile;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code manifest.json} of an activation store: what was collected (model, hooks, dtype, context, dataset
 * fingerprint), its shards with row counts, SHA-256 and row digests, and the store's order-independent row
 * digest. It is also the commit point of collection and shuffle: it is rewritten atomically after each
 * shard, and a store is finished only when {@code complete} is true. {@code cursor} says where in the
 * dataset the next uncommitted context starts (collection); {@code source} names the store a shuffle read.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StoreManifest(
        String format,
        String kind,
        String model,
        List<Hook> hooks,
        String dtype,
        int context,
        int shardRows,
        long rows,
        String digest,
        boolean complete,
        List<Shard> shards,
        Dataset dataset,
        Cursor cursor,
        Source source,
        Long seed) {
    public static final String FILE = "manifest.json";
    public static final String COLLECTED = "collected", SHUFFLED = "shuffled";

    public StoreManifest {
        hooks = List.copyOf(hooks);
        shards = List.copyOf(shards);
    }

    /** A hook and its activation width (trailing dimensions flattened). */
    public record Hook(String name, int d) {}

    /** One shard file, its rows, SHA-256 of the file, and digest (sum of row hashes, hex). */
    public record Shard(String file, int rows, String sha256, String digest) {}

    /**
     * The dataset a collection read: where, its content fingerprint (SHA-256 over file names and bytes), how
     * documents were packed, and the token budget.
     */
    public record Dataset(String path, String fingerprint, String textField, String packing, long maxTokens, int batch) {}

    /** Where the next context starts: document index and token offset within that document's tokens. */
    public record Cursor(long doc, int offset) {}

    /** The store a shuffle read: its path, row count and digest. */
    public record Source(String path, long rows, String digest) {}

    public DType storedType() {
        return FloatCodec.parse(dtype);
    }

    public StoreLayout layout() {
        return StoreLayout.of(hooks, storedType());
    }

    /** Sum of the shards' digests (mod 2^64), hex. */
    public static String sumDigests(List<Shard> shards) {
        long s = 0;
        for (Shard sh : shards) s += Long.parseUnsignedLong(sh.digest(), 16);
        return RowHash.hex(s);
    }

    /** This manifest with one more committed shard (rows and digest updated) and the new cursor. */
    public StoreManifest withShard(Shard shard, Cursor next) {
        List<Shard> all = new java.util.ArrayList<>(shards);
        all.add(shard);
        return new StoreManifest(format, kind, model, hooks, dtype, context, shardRows, rows + shard.rows(), sumDigests(all),
                false, all, dataset, next, source, seed);
    }

    /** This manifest without a dataset cursor: a collection whose committed shards need not be contiguous (Spark's). */
    public StoreManifest withoutCursor() {
        return new StoreManifest(format, kind, model, hooks, dtype, context, shardRows, rows, digest, complete, shards, dataset, null, source, seed);
    }

    /** This manifest with its shards in file-name order (jobs that commit shards as parallel tasks finish). */
    public StoreManifest sortedShards() {
        List<Shard> sorted = shards.stream().sorted(java.util.Comparator.comparing(Shard::file)).toList();
        return new StoreManifest(format, kind, model, hooks, dtype, context, shardRows, rows, digest, complete, sorted, dataset, cursor, source, seed);
    }

    public StoreManifest completed() {
        return new StoreManifest(format, kind, model, hooks, dtype, context, shardRows, rows, digest, true, shards, dataset, null, source, seed);
    }

    public static Path path(Path dir) {
        return dir.resolve(FILE);
    }

    /** Reads {@code dir/manifest.json}; a missing or malformed manifest is a clear error naming the file. */
    public static StoreManifest read(Path dir) throws IOException {
        Path file = path(dir);
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "not an activation store (no manifest.json)");
        StoreManifest m;
        try {
            m = Json.MAPPER.readerFor(StoreManifest.class).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(file.toFile());
        } catch (IOException e) {
            throw new CorruptStoreException(file + ": not a valid manifest (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (!ShardFile.FORMAT.equals(m.format())) throw new CorruptStoreException(file + ": format is '" + m.format() + "', expected '" + ShardFile.FORMAT + "'");
        return m;
    }

    /** Reads the manifest if the folder has one. */
    public static StoreManifest readIfPresent(Path dir) throws IOException {
        return Files.isRegularFile(path(dir)) ? read(dir) : null;
    }

    /** Writes {@code dir/manifest.json} atomically (the commit point). */
    public void write(Path dir) throws IOException {
        byte[] bytes = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
        AtomicFile.write(path(dir), ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        });
    }

    /** Shard file name for index {@code i}. */
    public static String shardName(int i) {
        return String.format("shard-%05d.safetensors", i);
    }
}
