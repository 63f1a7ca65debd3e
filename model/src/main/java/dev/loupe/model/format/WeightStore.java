package dev.loupe.model.format;

import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.PackedMatrix;
import java.util.Map;
import java.util.Set;

/**
 * Named tensors of a checkpoint, read on demand. Implementations memory-map their files, so
 * opening is cheap and only the tensors asked for are read (and converted). Every read returns
 * a fresh copy the caller owns. Close the store to unmap its files; reads after closing fail.
 */
public interface WeightStore extends AutoCloseable {
    /** Tensor names, in the order the file (or index) lists them. */
    Set<String> names();

    /** Type and shape of {@code name}; throws {@link IllegalArgumentException} naming close matches if absent. */
    TensorInfo info(String name);

    /** The tensor as float32, whatever its stored type (F16/BF16/F64 are converted; integers cast). */
    Tensor tensor(String name);

    /**
     * The 2-D floating tensor {@code name} as a weight W held once, packed ({@link Tensor#packed}): W is the
     * stored [rows, cols] matrix, or its transpose when {@code transposed} (GPT-2's Conv1D stores W^T).
     * Stores over mapped files keep BF16/F16 as 16-bit; this default widens through {@link #tensor}. Non-finite
     * values are refused ({@link FiniteWeights}).
     */
    default Tensor matrix(String name, boolean transposed) {
        int[] shape = requireMatrix(info(name));
        float[] v = tensor(name).data();
        FiniteWeights.check("weights", name, v);
        return Tensor.packed(transposed ? PackedMatrix.of(v, shape[0], shape[1]) : PackedMatrix.transposeOf(v, shape[0], shape[1]));
    }

    /** The shape of a 2-D floating tensor; an error naming it otherwise. */
    static int[] requireMatrix(TensorInfo info) {
        int[] shape = info.shape();
        if (shape.length != 2 || !info.dtype().isFloating()) {
            throw new IllegalArgumentException("tensor " + info + " is not a floating-point matrix");
        }
        return shape;
    }

    /** An integer or boolean tensor's values, row-major (e.g. token ids); floating types are refused. */
    long[] longs(String name);

    /** The file's string metadata ({@code __metadata__} in safetensors); empty if none. */
    Map<String, String> metadata();

    default boolean contains(String name) {
        return names().contains(name);
    }

    @Override
    void close();
}
