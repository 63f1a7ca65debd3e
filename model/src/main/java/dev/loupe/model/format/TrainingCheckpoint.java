package dev.loupe.model.format;

import dev.loupe.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;

/**
 * Loupe's one training-checkpoint format (language models, SAEs, transcoders): a safetensors file, written
 * atomically, whose metadata holds a format tag, the trainer's own entries and a CRC-32 of every tensor (its name and
 * values, in name order). {@link #open} checks the tag and the checksum before handing anything back, so a truncated,
 * corrupted, foreign or older-format file is refused with an error naming it, never resumed from.
 */
public final class TrainingCheckpoint implements AutoCloseable {
    static final String FORMAT_KEY = "format", CRC_KEY = "crc32";

    private final Path file;
    private final String format;
    private final WeightStore store;

    private TrainingCheckpoint(Path file, String format, WeightStore store) {
        this.file = file;
        this.format = format;
        this.store = store;
    }

    /** Collects a checkpoint's tensors (by reference) and metadata, then writes them with their checksum. */
    public static final class Writer {
        private final String format;
        private final SafeTensorsWriter out = new SafeTensorsWriter();
        private final Map<String, Object> values = new TreeMap<>();

        /** @param format the tag that {@link #open} will require, e.g. {@code loupe-sae-checkpoint/3} */
        public Writer(String format) {
            this.format = format;
        }

        public Writer metadata(String key, String value) {
            out.metadata(key, value);
            return this;
        }

        /** Float values stored as F32 with {@code shape} (default: one dimension). */
        public Writer floats(String name, float[] data, int... shape) {
            out.add(name, Tensor.of(data, shape.length == 0 ? new int[] {data.length} : shape));
            values.put(name, data);
            return this;
        }

        /** Integer values stored as {@code dtype} (each must fit it). */
        public Writer longs(String name, DType dtype, long[] data) {
            out.addLongs(name, dtype, data, data.length);
            values.put(name, data);
            return this;
        }

        public void write(Path file) throws IOException {
            out.metadata(FORMAT_KEY, format).metadata(CRC_KEY, Long.toString(checksum(values))).write(file);
        }
    }

    /** Opens {@code file}, requiring the tag {@code format} and a matching checksum. */
    public static TrainingCheckpoint open(Path file, String format) throws IOException {
        WeightStore store;
        try {
            store = SafeTensors.open(file);
        } catch (IllegalArgumentException | IllegalStateException | IOException e) {
            throw corrupt(file, format, e.getMessage(), e);
        }
        TrainingCheckpoint c = new TrainingCheckpoint(file, format, store);
        try {
            String theirs = store.metadata().get(FORMAT_KEY);
            if (!format.equals(theirs)) {
                throw c.corrupt(theirs == null ? "it has no format tag (an earlier Loupe wrote checkpoints without one)"
                        : "its format is '" + theirs + "', this Loupe reads '" + format + "'");
            }
            Map<String, Object> values = new TreeMap<>();
            for (String name : store.names()) values.put(name, store.info(name).dtype().isFloating() ? store.tensor(name).data() : store.longs(name));
            String crc = Long.toString(checksum(values));
            if (!crc.equals(store.metadata().get(CRC_KEY))) {
                throw c.corrupt("checksum mismatch (stored " + store.metadata().get(CRC_KEY) + ", computed " + crc + ")");
            }
            return c;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** The trainer's metadata entries (and the format tag and checksum). */
    public Map<String, String> metadata() {
        return store.metadata();
    }

    /** Metadata entry {@code key} as a number; a missing or malformed one is a corrupt-file error. */
    public long number(String key) {
        String v = store.metadata().get(key);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw corrupt("metadata '" + key + "' is " + (v == null ? "missing" : "'" + v + "', not a number"));
        }
    }

    /** Copies tensor {@code name} into {@code into}, whose length it must have. */
    public void read(String name, float[] into) {
        if (!store.contains(name)) throw corrupt("missing tensor " + name);
        float[] v = store.tensor(name).data();
        if (v.length != into.length) throw corrupt(name + " has " + v.length + " values, expected " + into.length);
        System.arraycopy(v, 0, into, 0, v.length);
    }

    /** The integer tensor {@code name}. */
    public long[] longs(String name) {
        if (!store.contains(name)) throw corrupt("missing tensor " + name);
        return store.longs(name);
    }

    /** An error saying this file cannot be resumed from, and why. */
    public IllegalArgumentException corrupt(String why) {
        return corrupt(file, format, why, null);
    }

    private static IllegalArgumentException corrupt(Path file, String format, String why, Throwable cause) {
        return new IllegalArgumentException("checkpoint " + file + " is corrupt or not a Loupe '" + format + "' checkpoint: " + why
                + "; delete it to start over", cause);
    }

    @Override
    public void close() {
        store.close();
    }

    /** CRC-32 over each tensor's name and values (floats as their 4 bytes, integers as 8), in name order. */
    private static long checksum(Map<String, Object> values) {
        CRC32 crc = new CRC32();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        for (var e : values.entrySet()) {
            crc.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            if (e.getValue() instanceof float[] f) {
                for (float x : f) {
                    if (buf.remaining() < 4) flush(crc, buf);
                    buf.putFloat(x);
                }
            } else {
                for (long x : (long[]) e.getValue()) {
                    if (buf.remaining() < 8) flush(crc, buf);
                    buf.putLong(x);
                }
            }
            flush(crc, buf);
        }
        return crc.getValue();
    }

    private static void flush(CRC32 crc, ByteBuffer buf) {
        crc.update(buf.array(), 0, buf.position());
        buf.clear();
    }
}
