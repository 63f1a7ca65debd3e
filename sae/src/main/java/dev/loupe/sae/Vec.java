package dev.loupe.sae;

import dev.loupe.core.kernels.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vector API row primitives of the SAE kernels: dot products and axpys over contiguous rows. */
public final class Vec {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private Vec() {}

    /** x[xo..xo+n) · y[yo..yo+n), lanes reduced in a fixed order (bit-reproducible). */
    public static float dot(float[] x, int xo, float[] y, int yo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            acc = FloatVector.fromArray(S, x, xo + i).fma(FloatVector.fromArray(S, y, yo + i), acc);
        }
        float s = Lanes.sum(acc);
        for (; i < n; i++) s += x[xo + i] * y[yo + i];
        return s;
    }

    /**
     * out[j] = x[xo..xo+n) · y[offsets[j]..offsets[j]+n) for j < count, each bit-identical to {@link #dot}; x is read
     * once for every four rows of y.
     */
    public static void dots(float[] x, int xo, float[] y, int[] offsets, int count, int n, float[] out) {
        int j = 0;
        for (; j + 4 <= count; j += 4) {
            int o0 = offsets[j], o1 = offsets[j + 1], o2 = offsets[j + 2], o3 = offsets[j + 3];
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xo + i);
                a0 = v.fma(FloatVector.fromArray(S, y, o0 + i), a0);
                a1 = v.fma(FloatVector.fromArray(S, y, o1 + i), a1);
                a2 = v.fma(FloatVector.fromArray(S, y, o2 + i), a2);
                a3 = v.fma(FloatVector.fromArray(S, y, o3 + i), a3);
            }
            float s0 = Lanes.sum(a0), s1 = Lanes.sum(a1), s2 = Lanes.sum(a2), s3 = Lanes.sum(a3);
            for (; i < n; i++) {
                s0 += x[xo + i] * y[o0 + i];
                s1 += x[xo + i] * y[o1 + i];
                s2 += x[xo + i] * y[o2 + i];
                s3 += x[xo + i] * y[o3 + i];
            }
            out[j] = s0;
            out[j + 1] = s1;
            out[j + 2] = s2;
            out[j + 3] = s3;
        }
        for (; j < count; j++) out[j] = dot(x, xo, y, offsets[j], n);
    }

    /** y[yo..yo+n) += a * x[xo..xo+n). */
    public static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector va = FloatVector.broadcast(S, a);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += a * x[xo + i];
    }

    /** Squared L2 norm of a row, accumulated in double. */
    static double sumSquares(float[] x, int xo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) x[xo + i] * x[xo + i];
        return s;
    }
}
