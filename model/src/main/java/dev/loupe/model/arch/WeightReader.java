package dev.loupe.model.arch;

import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.PackedMatrix;
import dev.loupe.model.TransformerWeights.Linear;
import dev.loupe.model.TransformerWeights.Norm;
import dev.loupe.model.format.FiniteWeights;
import dev.loupe.model.format.TensorInfo;
import dev.loupe.model.format.WeightStore;
import java.util.Arrays;
import java.util.List;

/** Reads checkpoint tensors with the shape an adapter expects, naming both shapes when they differ. */
final class WeightReader {
    private final WeightStore store;
    private final String source;

    WeightReader(WeightStore store, String source) {
        this.store = store;
        this.source = source;
    }

    boolean has(String name) {
        return store.contains(name);
    }

    /**
     * The tensor {@code name}, which must have exactly {@code shape}, a floating-point dtype and only finite values
     * (checked as it is decoded, so a NaN in a checkpoint is named at load instead of surfacing as NaN logits).
     */
    Tensor tensor(String name, int... shape) {
        tensorShape(name, shape);
        TensorInfo info = store.info(name);
        if (!info.dtype().isFloating()) {
            throw new IllegalArgumentException(source + ": tensor '" + name + "' is " + info.dtype() + "; weights must be a floating-point type");
        }
        Tensor t = store.tensor(name);
        FiniteWeights.check(source, name, t.data());
        return t;
    }

    private void tensorShape(String name, int... shape) {
        int[] actual = store.info(name).shape();
        if (!Arrays.equals(actual, shape)) {
            throw new IllegalArgumentException(source + ": tensor '" + name + "' has shape " + Arrays.toString(actual)
                    + " but the config implies " + Arrays.toString(shape));
        }
    }

    /**
     * The matrix {@code name} [rows, cols] as a weight held once, packed, 16-bit when stored so (see
     * {@link WeightStore#matrix}, which checks its values are finite as it packs them): linear weights and
     * embedding tables.
     */
    Tensor matrix(String name, int rows, int cols) {
        tensorShape(name, rows, cols);
        return store.matrix(name, false);
    }

    /** The tensor if present (with the expected shape), else null. */
    Tensor optional(String name, int... shape) {
        return has(name) ? tensor(name, shape) : null;
    }

    /** A PyTorch Linear: {@code prefix.weight} [out, in] and, if present, {@code prefix.bias} [out]. */
    Linear linear(String prefix, int out, int in) {
        return new Linear(matrix(prefix + ".weight", out, in), optional(prefix + ".bias", out));
    }

    /** A GPT-2 Conv1D, stored [in, out]: read as the canonical [out, in] weight (its packed form is the stored layout). */
    Linear conv1d(String prefix, int in, int out) {
        tensorShape(prefix + ".weight", in, out);
        return new Linear(store.matrix(prefix + ".weight", true), optional(prefix + ".bias", out));
    }

    Norm norm(String prefix, int d, boolean bias) {
        return new Norm(tensor(prefix + ".weight", d), bias ? tensor(prefix + ".bias", d) : null);
    }

    /** Linears stacked row-wise into one, in their packed form (biases too; a part without bias contributes zeros). */
    static Linear stack(List<Linear> parts) {
        int in = parts.get(0).in();
        int rows = 0;
        boolean anyBias = false;
        for (Linear p : parts) {
            if (p.in() != in) throw new IllegalArgumentException("cannot fuse linears of input widths " + in + " and " + p.in());
            rows += p.out();
            anyBias |= p.bias() != null;
        }
        float[] b = anyBias ? new float[rows] : null;
        int r = 0;
        for (Linear p : parts) {
            if (p.bias() != null) System.arraycopy(p.bias().data(), 0, b, r, p.out());
            r += p.out();
        }
        var w = PackedMatrix.stack(parts.stream().map(p -> p.weight().packedTranspose()).toList());
        return new Linear(Tensor.packed(w), b == null ? null : Tensor.of(b, rows));
    }
}
