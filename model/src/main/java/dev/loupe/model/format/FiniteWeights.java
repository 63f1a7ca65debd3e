package dev.loupe.model.format;

import dev.loupe.core.kernels.Elementwise;

/**
 * Weights must be finite: a NaN or infinity in a checkpoint is refused at load, naming the file and the tensor,
 * instead of surfacing later as NaN logits. Checked in the pass that decodes or packs each tensor (vectorised for
 * float32, a mask test per 16-bit value), so it costs no extra read of the file.
 */
public final class FiniteWeights {
    private FiniteWeights() {}

    public static void check(String source, String name, float[] values) {
        check(source, name, values, values.length, 0);
    }

    /** The first {@code count} of {@code values}, which are elements {@code first}... of the tensor (a chunk of it). */
    public static void check(String source, String name, float[] values, int count, long first) {
        int bad = Elementwise.firstNonFinite(values, count);
        if (bad >= 0) throw refused(source, name, Float.toString(values[bad]), first + bad);
    }

    /** 16-bit values: all exponent bits set is an infinity or a NaN (BF16: 0x7f80, F16: 0x7c00). */
    public static void checkHalves(String source, String name, short[] values, int count, long first, boolean bf16) {
        int mask = bf16 ? 0x7f80 : 0x7c00;
        for (int i = 0; i < count; i++) {
            if ((values[i] & mask) == mask) {
                float v = bf16 ? Float.intBitsToFloat(values[i] << 16) : Float.float16ToFloat(values[i]);
                throw refused(source, name, Float.toString(v), first + i);
            }
        }
    }

    private static IllegalArgumentException refused(String source, String name, String value, long at) {
        return new IllegalArgumentException(source + ": tensor '" + name + "' holds " + value + " at element " + at + "; weights must be finite");
    }
}
