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
