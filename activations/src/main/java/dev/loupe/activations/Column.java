package dev.loupe.activations;

import dev.loupe.model.format.DType;

/**
 * One tensor of a shard: {@code width} elements of {@code dtype} per row (a hook's activation vector, or a
 * scalar such as the token id).
 */
public record Column(String name, DType dtype, int width) implements java.io.Serializable {
    /** Bytes one row of this column takes. */
    public int rowBytes() {
        return width * dtype.itemSize();
    }
}
