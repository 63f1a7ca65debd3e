package dev.loupe.activations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.format.AtomicFile;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.JsonErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * One shard: a safetensors file holding a {@link RowBlock}'s columns ({@code [n, d]} per hook, {@code [n]}
 * for the provenance columns). Columns are laid out widest element first so every tensor is aligned to its
 * element size. Written atomically, with the SHA-256 of the file computed as it is written; read back by
 * row ranges without loading the whole file.
 */
public final class ShardFile implements AutoCloseable {
    /** Tag in every shard's {@code __metadata__}. */
    public static final String FORMAT = "loupe-activations/1";
    private static final ObjectMapper JSON = Json.MAPPER;
    private static final int IO_CHUNK = 1 << 20;

    private final Path path;
    private final StoreLayout layout;
    private final FileChannel ch;
    private final long[] offsets; // absolute file offset of each layout column
    private final int rows;

    private ShardFile(Path path, StoreLayout layout, FileChannel ch, long[] offsets, int rows) {
        this.path = path;
        this.layout = layout;
        this.ch = ch;
        this.offsets = offsets;
        this.rows = rows;
    }

    /** Writes the block's valid rows to {@code target} atomically; returns the shard's manifest entry. */
    public static StoreManifest.Shard write(Path target, RowBlock block) throws IOException {
        return write(target, block, block.digest());
    }

    /** As {@link #write(Path, RowBlock)}, with the rows' digest already known (the sum of their {@link RowHash}es). */
    public static StoreManifest.Shard write(Path target, RowBlock block, long digest) throws IOException {
        StoreLayout layout = block.layout();
        int n = block.rows();
        List<Integer> order = fileOrder(layout);
        ObjectNode root = JSON.createObjectNode();
        root.putObject("__metadata__").put("format", FORMAT);
        long off = 0;
        for (int c : order) {
            Column col = layout.get(c);
            ObjectNode t = root.putObject(col.name());
            t.put("dtype", col.dtype().name());
            if (col.width() == 1 && !isHook(col)) t.putArray("shape").add(n);
            else t.putArray("shape").add(n).add(col.width());
            long len = (long) n * col.rowBytes();
            t.putArray("data_offsets").add(off).add(off + len);
            off += len;
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        byte[] header = Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        Arrays.fill(header, json.length, header.length, (byte) ' ');
        MessageDigest sha = sha256();
        AtomicFile.write(target, ch -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeHashed(ch, sha, len.array(), 0, 8);
            writeHashed(ch, sha, header, 0, header.length);
            for (int c : order) writeHashed(ch, sha, block.column(c), 0, n * layout.get(c).rowBytes());
        });
        return new StoreManifest.Shard(target.getFileName().toString(), n, HexFormat.of().formatHex(sha.digest()),
                RowHash.hex(digest));
    }

    /** Hook columns are [n, d] even when d is 1; provenance columns are [n]. */
    private static boolean isHook(Column c) {
        return !(c.name().equals(StoreLayout.TOKEN) || c.name().equals(StoreLayout.DOC)
                || c.name().equals(StoreLayout.POS) || c.name().equals(StoreLayout.ROW));
    }

    private static List<Integer> fileOrder(StoreLayout layout) {
        List<Integer> order = new ArrayList<>();
        for (int c = 0; c < layout.size(); c++) order.add(c);
        order.sort(Comparator.comparingInt((Integer c) -> -layout.get(c).dtype().itemSize()));
        return order;
    }

    /**
     * Opens a shard and checks its header against the store's layout: every column present with the
     * expected dtype and width, all with the same row count.
     */
    public static ShardFile open(Path path, StoreLayout layout) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size < 8) throw corrupt(path, "file of " + size + " bytes is too short for a safetensors header");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, 0, lenBuf.array(), 0, 8);
            long hlen = lenBuf.getLong(0);
            if (hlen <= 0 || hlen > Math.min(size - 8, 100_000_000)) {
                throw corrupt(path, "header length " + hlen + " does not fit a file of " + size + " bytes");
            }
            byte[] json = new byte[(int) hlen];
            readFully(ch, 8, json, 0, json.length);
            JsonNode root;
            try {
                root = JSON.readTree(json);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw corrupt(path, "header is not valid JSON (" + JsonErrors.describe(e) + ")");
            }
            long base = 8 + hlen;
            long[] offsets = new long[layout.size()];
            int rows = -1;
            for (int c = 0; c < layout.size(); c++) {
                Column col = layout.get(c);
                JsonNode t = root.get(col.name());
                if (t == null) throw corrupt(path, "no tensor '" + col.name() + "' (expected " + col.dtype() + " width " + col.width() + ")");
                String dt = t.path("dtype").asText();
                if (!dt.equals(col.dtype().name())) throw corrupt(path, "tensor '" + col.name() + "' is " + dt + ", expected " + col.dtype());
                JsonNode shape = t.path("shape");
                int n = shape.path(0).asInt(-1);
                int width = shape.size() > 1 ? shape.path(1).asInt(-1) : 1;
                if (n < 0 || width != col.width()) {
                    throw corrupt(path, "tensor '" + col.name() + "' has shape " + shape + ", expected [n, " + col.width() + "]");
                }
                if (rows >= 0 && n != rows) throw corrupt(path, "tensor '" + col.name() + "' has " + n + " rows, others " + rows);
                rows = n;
                long start = t.path("data_offsets").path(0).asLong(-1), end = t.path("data_offsets").path(1).asLong(-1);
                if (start < 0 || end - start != (long) n * col.rowBytes() || base + end > size) {
                    throw corrupt(path, "tensor '" + col.name() + "' data_offsets [" + start + ", " + end + "] do not match its shape or the file size " + size);
                }
                offsets[c] = base + start;
            }
            return new ShardFile(path, layout, ch, offsets, rows);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static CorruptStoreException corrupt(Path path, String what) {
        return new CorruptStoreException(path + ": " + what);
    }

    public int rows() {
        return rows;
    }

    public Path path() {
        return path;
    }

    /** Appends rows {@code [start, start + n)} of this shard to {@code into}. */
    public void read(int start, int n, RowBlock into) throws IOException {
        if (start < 0 || start + n > rows) throw new IndexOutOfBoundsException("rows [" + start + ", " + (start + n) + ") of " + path + " with " + rows);
        if (into.rows() + n > into.capacity()) throw new IllegalStateException("row block overflow");
        for (int c = 0; c < layout.size(); c++) {
            int rb = layout.get(c).rowBytes();
            readFully(ch, offsets[c] + (long) start * rb, into.column(c), into.rows() * rb, n * rb);
        }
        into.rows(into.rows() + n);
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }

    /** SHA-256 of a whole file, as lowercase hex. */
    public static String sha256(Path file) throws IOException {
        MessageDigest sha = sha256();
        byte[] buf = new byte[IO_CHUNK];
        try (var in = Files.newInputStream(file)) {
            for (int k; (k = in.read(buf)) > 0; ) sha.update(buf, 0, k);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Positional read in chunks of at most 1 MiB (keeps the JDK's temporary direct buffers small). */
    static void readFully(FileChannel ch, long pos, byte[] dst, int off, int len) throws IOException {
        while (len > 0) {
            ByteBuffer b = ByteBuffer.wrap(dst, off, Math.min(len, IO_CHUNK));
            int k = ch.read(b, pos);
            if (k < 0) throw new IOException("unexpected end of file at byte " + pos);
            pos += k;
            off += k;
            len -= k;
        }
    }

    /** Appending write in chunks of at most 1 MiB. */
    static void writeFully(FileChannel ch, byte[] src, int off, int len) throws IOException {
        while (len > 0) {
            ByteBuffer b = ByteBuffer.wrap(src, off, Math.min(len, IO_CHUNK));
            int k = ch.write(b);
            off += k;
            len -= k;
        }
    }

    private static void writeHashed(FileChannel ch, MessageDigest sha, byte[] src, int off, int len) throws IOException {
        sha.update(src, off, len);
        writeFully(ch, src, off, len);
    }
}
