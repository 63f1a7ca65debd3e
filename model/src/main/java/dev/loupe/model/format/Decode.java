package dev.loupe.model.format;

import dev.loupe.core.Parallel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian stored elements to Java arrays: float32 for {@code tensor()}, long for {@code longs()}. */
final class Decode {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Elements converted per step: big enough to amortise the bulk copy, small enough to stay in cache. */
    private static final int CHUNK = 1 << 14;

    private Decode() {}

    /** {@code n} elements of type {@code dtype} at byte {@code offset} of {@code src}, as float32. */
    static float[] floats(MemorySegment src, long offset, DType dtype, int n) {
        float[] out = new float[n];
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, F32, offset, out, 0, n);
            case F16, BF16 -> Parallel.forRange(n, CHUNK, (lo, hi) -> halves(src, offset, dtype == DType.BF16, out, lo, hi));
            case F64 -> {
                for (int i = 0; i < n; i++) out[i] = (float) src.get(F64, offset + 8L * i);
            }
            default -> {
                long[] v = longs(src, offset, dtype, n);
                for (int i = 0; i < n; i++) out[i] = v[i];
            }
        }
        return out;
    }

    private static void halves(MemorySegment src, long offset, boolean bf16, float[] out, int lo, int hi) {
        short[] buf = new short[Math.min(CHUNK, hi - lo)];
        for (int start = lo; start < hi; start += buf.length) {
            int len = Math.min(buf.length, hi - start);
            MemorySegment.copy(src, I16, offset + 2L * start, buf, 0, len);
            if (bf16) {
                for (int j = 0; j < len; j++) out[start + j] = Float.intBitsToFloat(buf[j] << 16);
            } else {
                for (int j = 0; j < len; j++) out[start + j] = Float.float16ToFloat(buf[j]);
            }
        }
    }

    /** {@code n} integer or boolean elements at byte {@code offset} of {@code src}, widened to long. */
    static long[] longs(MemorySegment src, long offset, DType dtype, int n) {
        long[] out = new long[n];
        switch (dtype) {
            case I64 -> MemorySegment.copy(src, I64, offset, out, 0, n);
            case I32 -> {
                for (int i = 0; i < n; i++) out[i] = src.get(I32, offset + 4L * i);
            }
            case I16 -> {
                for (int i = 0; i < n; i++) out[i] = src.get(I16, offset + 2L * i);
            }
            case I8 -> {
                for (int i = 0; i < n; i++) out[i] = src.get(ValueLayout.JAVA_BYTE, offset + i);
            }
            case U8, BOOL -> {
                for (int i = 0; i < n; i++) out[i] = src.get(ValueLayout.JAVA_BYTE, offset + i) & 0xff;
            }
            default -> throw new IllegalArgumentException(dtype + " is not an integer type");
        }
        return out;
    }
}
