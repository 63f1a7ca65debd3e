package dev.loupe.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vectorised elementwise loops over float arrays, shared by the forward and backward passes. */
public final class Elementwise {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Elementwise() {}

    /** x[off..off+n) *= s. */
    public static void scale(float[] x, int off, int n, float s) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += S.length()) FloatVector.fromArray(S, x, off + i).mul(s).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= s;
    }

    /**
     * Index of the first NaN or infinite value of {@code x}, or -1 when all are finite. Vectorised: x - x is 0 for
     * finite values and NaN otherwise, so a lane-wise accumulation of it flags a block at memory speed.
     */
    public static int firstNonFinite(float[] x) {
        return firstNonFinite(x, x.length);
    }

    /** As {@link #firstNonFinite(float[])} over {@code x[0..n)}. */
    public static int firstNonFinite(float[] x, int n) {
        int block = 8 * S.length(), i = 0;
        for (int ub = n - n % block; i < ub; i += block) {
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < block; j += S.length()) {
                FloatVector v = FloatVector.fromArray(S, x, i + j);
                acc = acc.add(v.sub(v));
            }
            if (!acc.eq(0f).allTrue()) return firstNonFinite(x, i, i + block);
        }
        return firstNonFinite(x, i, n);
    }

    private static int firstNonFinite(float[] x, int from, int to) {
        for (int i = from; i < to; i++) if (!Float.isFinite(x[i])) return i;
        return -1;
    }
}
