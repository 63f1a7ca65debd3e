package dev.loupe.server.wire;

import java.util.Arrays;

/**
 * One result array on the wire: float32 values or int64 values (token ids, top-k indices), row-major.
 * Exactly one of {@code floats} and {@code longs} is set.
 */
public record NamedTensor(String name, int[] shape, float[] floats, long[] longs) {
    public NamedTensor {
        long n = 1;
        for (int s : shape) n *= s;
        long have = floats != null ? floats.length : longs.length;
        if (n != have) throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " holds " + n + " values, got " + have);
    }

    public static NamedTensor ofFloats(String name, float[] data, int... shape) {
        return new NamedTensor(name, shape, data, null);
    }

    public static NamedTensor ofLongs(String name, long[] data, int... shape) {
        return new NamedTensor(name, shape, null, data);
    }

    public static NamedTensor ofInts(String name, int[] ids) {
        return ofLongs(name, Arrays.stream(ids).asLongStream().toArray(), ids.length);
    }

    public boolean isFloat() {
        return floats != null;
    }

    public int numel() {
        return isFloat() ? floats.length : longs.length;
    }

    /** Bytes of the raw values (4 per float, 8 per long). */
    public long nbytes() {
        return isFloat() ? 4L * floats.length : 8L * longs.length;
    }
}
