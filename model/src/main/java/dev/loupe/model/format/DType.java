package dev.loupe.model.format;

import java.util.Arrays;
import java.util.Optional;

/**
 * Element types of stored tensors, named as in the safetensors header. Floating types are
 * widened to float32 on read; integer types are read as {@code long}s (token ids, masks).
 */
public enum DType {
    BOOL(1, false),
    U8(1, false),
    I8(1, false),
    I16(2, false),
    I32(4, false),
    I64(8, false),
    F16(2, true),
    BF16(2, true),
    F32(4, true),
    F64(8, true);

    private final int itemSize;
    private final boolean floating;

    DType(int itemSize, boolean floating) {
        this.itemSize = itemSize;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int itemSize() {
        return itemSize;
    }

    /** True for F16/BF16/F32/F64; false for integer and boolean types. */
    public boolean isFloating() {
        return floating;
    }

    /** The type with this safetensors name ("F32", "BF16", ...), if Loupe knows it. */
    public static Optional<DType> byName(String name) {
        return Arrays.stream(values()).filter(d -> d.name().equals(name)).findFirst();
    }
}
