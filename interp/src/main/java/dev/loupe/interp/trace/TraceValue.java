package dev.loupe.interp.trace;

import dev.loupe.core.Tensor;

/**
 * A value of a trace: float32 data with its element type (integers such as top-k indices, and booleans from
 * comparisons, are held exactly as float32 and returned as int64 / bool).
 */
public record TraceValue(Tensor tensor, DType dtype) {
    public enum DType {
        FLOAT32, INT64, BOOL;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
