package dev.loupe.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Soft-capping (Gemma 2): x → c·tanh(x / c), which bounds attention scores and logits to (-c, c) while keeping
 * small values almost unchanged. Computed as c - 2c / (1 + e^(2x/c)) with {@link Exp}, every element through the
 * same vector code, so bits depend neither on the JIT tier nor on an element's place in the array. -inf stays
 * -inf (a masked score stays masked).
 */
public final class SoftCap {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private SoftCap() {}

    /** x[off..off+n) soft-capped at {@code cap}, in place. */
    public static void apply(float[] x, int off, int n, float cap) {
        int end = off + n, i = off;
        for (int ub = off + S.loopBound(n); i < ub; i += S.length()) vector(FloatVector.fromArray(S, x, i), cap).intoArray(x, i);
        if (i < end) {
            VectorMask<Float> m = S.indexInRange(i, end);
            vector(FloatVector.fromArray(S, x, i, m), cap).intoArray(x, i, m);
        }
    }

    private static FloatVector vector(FloatVector v, float cap) {
        FloatVector y = FloatVector.broadcast(S, cap).sub(FloatVector.broadcast(S, 2f * cap).div(Exp.exp(v.mul(2f / cap)).add(1f)));
        return y.blend(Float.NEGATIVE_INFINITY, v.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
    }
}
