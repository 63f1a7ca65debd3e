package dev.loupe.model.arch;

import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.Elementwise;
import dev.loupe.model.TransformerWeights.Linear;
import dev.loupe.model.TransformerWeights.Norm;
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
     * (checked as each tensor is decoded, one vectorised pass at memory speed, so a NaN in a checkpoint is named
     * at load instead of surfacing as NaN logits).
     */
    Tensor tensor(String name, int... shape) {
        TensorInfo info = store.info(name);
        if (!Arrays.equals(info.shape(), shape)) {
            throw new IllegalArgumentException(source + ": tensor '" + name + "' has shape " + Arrays.toString(info.shape())
                    + " but the config implies " + Arrays.toString(shape));
        }
        if (!info.dtype().isFloating()) {
            throw new IllegalArgumentException(source + ": tensor '" + name + "' is " + info.dtype() + "; weights must be a floating-point type");
        }
        Tensor t = store.tensor(name);
        int bad = Elementwise.firstNonFinite(t.data());
        if (bad >= 0) {
            throw new IllegalArgumentException(source + ": tensor '" + name + "' holds " + t.data()[bad] + " at element " + bad
                    + "; weights must be finite");
        }
        return t;
    }

    /** The tensor if present (with the expected shape), else null. */
    Tensor optional(String name, int... shape) {
        return has(name) ? tensor(name, shape) : null;
    }

    /** A PyTorch Linear: {@code prefix.weight} [out, in] and, if present, {@code prefix.bias} [out]. */
    Linear linear(String prefix, int out, int in) {
        return new Linear(tensor(prefix + ".weight", out, in), optional(prefix + ".bias", out));
    }

    /** A GPT-2 Conv1D, stored [in, out]: transposed to the canonical [out, in]. */
    Linear conv1d(String prefix, int in, int out) {
        return new Linear(Ops.transpose(tensor(prefix + ".weight", in, out)), optional(prefix + ".bias", out));
    }

    Norm norm(String prefix, int d, boolean bias) {
        return new Norm(tensor(prefix + ".weight", d), bias ? tensor(prefix + ".bias", d) : null);
    }

    /** Linears stacked row-wise into one (biases too; a part without bias contributes zeros). */
    static Linear stack(List<Linear> parts) {
        int in = parts.get(0).in();
        int rows = 0;
        boolean anyBias = false;
        for (Linear p : parts) {
            if (p.in() != in) throw new IllegalArgumentException("cannot fuse linears of input widths " + in + " and " + p.in());
            rows += p.out();
            anyBias |= p.bias() != null;
        }
        float[] w = new float[rows * in];
        float[] b = anyBias ? new float[rows] : null;
        int r = 0;
        for (Linear p : parts) {
            System.arraycopy(p.weight().data(), 0, w, r * in, p.out() * in);
            if (p.bias() != null) System.arraycopy(p.bias().data(), 0, b, r, p.out());
            r += p.out();
        }
        return new Linear(Tensor.of(w, rows, in), b == null ? null : Tensor.of(b, rows));
    }
}
