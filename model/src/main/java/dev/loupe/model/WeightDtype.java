package dev.loupe.model;

import java.util.Locale;

/**
 * The element type a model's linear weights and embedding tables are held in once loaded. {@link #STORED}
 * keeps the checkpoint's own (BF16 and F16 stay 16-bit, and the kernels widen them in registers);
 * {@link #F32} widens 16-bit weights to float32 at load, at twice the memory.
 */
public enum WeightDtype {
    STORED, F32;

    /** From a {@code --dtype} value: {@code stored} (also {@code bf16}, {@code f16}, {@code auto}) or {@code f32}. */
    public static WeightDtype parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32", "float32" -> F32;
            case "stored", "auto", "bf16", "f16" -> STORED;
            default -> throw new IllegalArgumentException("--dtype '" + s + "': expected f32 or stored (keep the checkpoint's bf16/f16)");
        };
    }
}
