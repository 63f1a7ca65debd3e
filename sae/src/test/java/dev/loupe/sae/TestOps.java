package dev.loupe.sae;

import dev.loupe.core.Autograd;
import dev.loupe.core.Tensor;

/** Differentiable helpers the reference autograd graph needs and {@link dev.loupe.core.Ops} lacks, each with its own backward. */
final class TestOps {
    private TestOps() {}

    /** v [d] repeated as rows → [rows, d]; backward sums the rows. */
    static Tensor repeatRows(Tensor v, int rows) {
        int d = v.numel();
        float[] out = new float[rows * d];
        for (int r = 0; r < rows; r++) System.arraycopy(v.data(), 0, out, r * d, d);
        Tensor y = Tensor.of(out, rows, d);
        Autograd.record(y, g -> {
            float[] s = new float[d];
            for (int r = 0; r < rows; r++) for (int i = 0; i < d; i++) s[i] += g.data()[r * d + i];
            Autograd.accumulate(v, Tensor.of(s, d));
        }, v);
        return y;
    }

    /** Differentiable transpose of a matrix. */
    static Tensor transpose(Tensor m) {
        Tensor y = dev.loupe.core.Ops.transpose(m);
        Autograd.record(y, g -> Autograd.accumulate(m, dev.loupe.core.Ops.transpose(g)), m);
        return y;
    }

    /** ‖row_j‖ of w [n, d] → [n]; backward w_j / ‖w_j‖. */
    static Tensor rowNorms(Tensor w) {
        int n = w.size(0), d = w.size(1);
        float[] norms = new float[n];
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < d; i++) s += (double) w.data()[j * d + i] * w.data()[j * d + i];
            norms[j] = (float) Math.sqrt(s);
        }
        Tensor y = Tensor.of(norms, n);
        Autograd.record(y, g -> {
            float[] gw = new float[n * d];
            for (int j = 0; j < n; j++) for (int i = 0; i < d; i++) gw[j * d + i] = g.data()[j] * w.data()[j * d + i] / norms[j];
            Autograd.accumulate(w, Tensor.of(gw, n, d));
        }, w);
        return y;
    }
}
