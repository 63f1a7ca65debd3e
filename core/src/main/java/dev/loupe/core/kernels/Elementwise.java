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
     * Index of the first NaN or infinite value of {@code x}, or -1 when all are finite. A value is not finite when
     * its exponent bits are all ones; adding one to the exponent field then carries into the sign bit, so an OR of
     * that over a block is negative exactly when the block holds one. Plain int arithmetic, which C2 vectorises and
     * which stays fast before it does (a model is checked once, at load, while the JVM is cold: the Vector API is
     * slow until compiled).
     */
    public static int firstNonFinite(float[] x) {
        return firstNonFinite(x, x.length);
    }

    /** As {@link #firstNonFinite(float[])} over {@code x[0..n)}. */
    public static int firstNonFinite(float[] x, int n) {
        for (int i = 0; i < n; i += FINITE_BLOCK) {
            int end = Math.min(n, i + FINITE_BLOCK), acc = 0;
            for (int j = i; j < end; j++) acc |= (Float.floatToRawIntBits(x[j]) & 0x7f800000) + 0x00800000;
            if (acc < 0) return firstNonFinite(x, i, end);
        }
        return -1;
    }

    private static final int FINITE_BLOCK = 4096;

    private static int firstNonFinite(float[] x, int from, int to) {
        for (int i = from; i < to; i++) if (!Float.isFinite(x[i])) return i;
        return -1;
    }
}
