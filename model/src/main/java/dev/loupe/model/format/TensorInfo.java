package dev.loupe.model.format;

import java.util.Arrays;

/** What a weight store knows about one tensor without reading it: its name, element type and shape. */
public record TensorInfo(String name, DType dtype, int[] shape) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Number of elements (product of the shape; 1 for a scalar); {@link ArithmeticException} on overflow. */
    public long numel() {
        long n = 1;
        for (int s : shape) n = Math.multiplyExact(n, s);
        return n;
    }

    /** Bytes the tensor occupies on disk; {@link ArithmeticException} on overflow. */
    public long nbytes() {
        return Math.multiplyExact(numel(), dtype.itemSize());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * name.hashCode() + dtype.hashCode()) + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
