package dev.loupe.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Numerically stable softmax over contiguous rows; rows that are all -inf become all zeros. */
public final class Softmax {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Softmax() {}

    /**
     * Softmax of {@code n} values of {@code x} at {@code xOff} into {@code out} at {@code oOff} (may alias).
     * Returns log of the normaliser, log(sum_i exp(x_i)) (-inf for an all -inf row), so that
     * log softmax(x)_i = x_i - returned value.
     */
    public static float row(float[] x, int xOff, float[] out, int oOff, int n) {
        float max = Float.NEGATIVE_INFINITY;
        int i = 0;
        int ub = S.loopBound(n);
        if (ub > 0) {
            FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i < ub; i += S.length()) m = m.max(FloatVector.fromArray(S, x, xOff + i));
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) max = Math.max(max, x[xOff + i]);
        if (max == Float.NEGATIVE_INFINITY) {
            java.util.Arrays.fill(out, oOff, oOff + n, 0f);
            return Float.NEGATIVE_INFINITY;
        }
        float sum = 0;
        i = 0;
        if (ub > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (; i < ub; i += S.length()) {
                FloatVector e = Exp.exp(FloatVector.fromArray(S, x, xOff + i).sub(max));
                e.intoArray(out, oOff + i);
                acc = acc.add(e);
            }
            sum = Lanes.sum(acc);
        }
        if (i < n) { // the same vector exp under a mask, so every element's bits are computed alike
            VectorMask<Float> m = S.indexInRange(i, n);
            Exp.exp(FloatVector.fromArray(S, x, xOff + i, m).sub(max)).intoArray(out, oOff + i, m);
            for (; i < n; i++) sum += out[oOff + i];
        }
        float inv = 1f / sum;
        i = 0;
        for (; i < ub; i += S.length()) FloatVector.fromArray(S, out, oOff + i).mul(inv).intoArray(out, oOff + i);
        for (; i < n; i++) out[oOff + i] *= inv;
        return max + (float) Math.log(sum);
    }

    /** Softmax of each of {@code rows} rows of width {@code n}. */
    public static void rows(float[] x, float[] out, int rows, int n) {
        for (int r = 0; r < rows; r++) row(x, r * n, out, r * n, n);
    }
}
