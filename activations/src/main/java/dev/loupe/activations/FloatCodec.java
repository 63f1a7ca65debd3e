package dev.loupe.activations;

import dev.loupe.model.format.DType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Float activations to and from their stored little-endian bytes: F32 (exact), F16, or BF16 (round to nearest even). */
public final class FloatCodec {
    private static final VarHandle F32 = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private FloatCodec() {}

    /** The stored type for a {@code --dtype} name: f32, f16 or bf16. */
    public static DType parse(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "f32", "float32" -> DType.F32;
            case "f16", "float16" -> DType.F16;
            case "bf16", "bfloat16" -> DType.BF16;
            default -> throw new IllegalArgumentException("dtype must be f32, f16 or bf16, got '" + name + "'");
        };
    }

    /** Encodes {@code n} floats from {@code src[from..]} into {@code dst} at byte offset {@code off}. */
    public static void encode(DType dtype, float[] src, int from, int n, byte[] dst, int off) {
        switch (dtype) {
            case F32 -> {
                for (int i = 0; i < n; i++) F32.set(dst, off + 4 * i, src[from + i]);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) I16.set(dst, off + 2 * i, Float.floatToFloat16(src[from + i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) I16.set(dst, off + 2 * i, toBf16(src[from + i]));
            }
            default -> throw new IllegalArgumentException("not a stored float type: " + dtype);
        }
    }

    /** Decodes {@code n} values at byte offset {@code off} of {@code src} into {@code dst[to..]}. */
    public static void decode(DType dtype, byte[] src, int off, int n, float[] dst, int to) {
        switch (dtype) {
            case F32 -> {
                for (int i = 0; i < n; i++) dst[to + i] = (float) F32.get(src, off + 4 * i);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) dst[to + i] = Float.float16ToFloat((short) I16.get(src, off + 2 * i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst[to + i] = Float.intBitsToFloat(((short) I16.get(src, off + 2 * i)) << 16);
            }
            default -> throw new IllegalArgumentException("not a stored float type: " + dtype);
        }
    }

    private static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
