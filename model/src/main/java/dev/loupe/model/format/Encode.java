package dev.loupe.model.format;

import java.nio.ByteBuffer;

/** Java values to little-endian stored elements; narrowing floats round to nearest, ties to even. */
final class Encode {
    private Encode() {}

    static void putFloat(ByteBuffer out, DType dtype, float v) {
        switch (dtype) {
            case F32 -> out.putFloat(v);
            case F16 -> out.putShort(Float.floatToFloat16(v));
            case BF16 -> out.putShort(toBf16(v));
            case F64 -> out.putDouble(v);
            default -> throw new IllegalArgumentException(dtype + " is not a floating type");
        }
    }

    /** float32 to bfloat16, round to nearest even; NaN stays a (quiet) NaN. */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x0040);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** Stores {@code v}; throws if it does not fit {@code dtype} ({@code what} names the tensor). */
    static void putLong(ByteBuffer out, DType dtype, long v, String what) {
        switch (dtype) {
            case I64 -> out.putLong(v);
            case I32 -> out.putInt((int) checkRange(v, Integer.MIN_VALUE, Integer.MAX_VALUE, dtype, what));
            case I16 -> out.putShort((short) checkRange(v, Short.MIN_VALUE, Short.MAX_VALUE, dtype, what));
            case I8 -> out.put((byte) checkRange(v, Byte.MIN_VALUE, Byte.MAX_VALUE, dtype, what));
            case U8 -> out.put((byte) checkRange(v, 0, 255, dtype, what));
            case BOOL -> out.put((byte) checkRange(v, 0, 1, dtype, what));
            default -> throw new IllegalArgumentException(dtype + " is not an integer type");
        }
    }

    private static long checkRange(long v, long lo, long hi, DType dtype, String what) {
        if (v < lo || v > hi) throw new IllegalArgumentException(what + ": value " + v + " does not fit " + dtype);
        return v;
    }
}
