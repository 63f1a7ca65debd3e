package dev.loupe.core.kernels;

import jdk.incubator.vector.FloatVector;

/**
 * Order-fixed horizontal sums. {@code reduceLanes(ADD)} may add lanes in a different order once the JIT
 * intrinsifies it, so the same input would give different bits early and late in a run; Loupe promises
 * bit-identical activations for identical inputs (caches, patching, collection), so kernels reduce here.
 */
public final class Lanes {
    private Lanes() {}

    /** Sum of the lanes of {@code v}, added in lane order. Called once per row, outside inner loops. */
    public static float sum(FloatVector v) {
        float[] lanes = v.toArray();
        float s = 0;
        for (float x : lanes) s += x;
        return s;
    }
}
