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
}
