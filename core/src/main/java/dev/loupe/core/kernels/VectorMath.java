package dev.loupe.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector exp, tanh and lane sums that give the same bits whether the JIT has compiled the caller or not.
 * The Vector API's own {@code EXP}/{@code TANH} (an intrinsic math library once compiled, {@code Math} calls
 * before) and {@code reduceLanes(ADD)} (a reduction order of the platform's choosing) may differ in the last
 * bit between those states, which makes training runs irreproducible; these use only IEEE-exact lane
 * operations (add, mul, fma, conversions, shifts) in a fixed order. Accuracy: exp within 2 ulp.
 */
public final class VectorMath {
    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding it rounds to an integer
    private static final float MAX = 88.3762626647949f, MIN = -87.33654475f;

    private VectorMath() {}

    /** e^x per lane; 0 below about -87.3 (so -inf gives 0), +inf above about 88.4. */
    public static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.compare(VectorOperators.LT, MIN), over = x.compare(VectorOperators.GT, MAX);
        FloatVector c = x.max(MIN).min(MAX);
        FloatVector n = c.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(x.species(), -LN2_HI), c);
        r = n.fma(FloatVector.broadcast(x.species(), -LN2_LO), r);
        // e^r on |r| <= ln2/2, Taylor to degree 7
        FloatVector p = r.mul(1f / 5040).add(1f / 720);
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f / 120));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f / 24));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f / 6));
        p = p.fma(r, FloatVector.broadcast(x.species(), 0.5f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f));
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        FloatVector y = p.mul(bits.reinterpretAsFloats());
        return y.blend(0f, under).blend(Float.POSITIVE_INFINITY, over);
    }

    /** tanh(x) per lane, as sign(x)·(1 - 2/(e^{2|x|} + 1)) (absolute error about 1e-7). */
    public static FloatVector tanh(FloatVector x) {
        FloatVector e = exp(x.abs().mul(2f));
        FloatVector t = FloatVector.broadcast(x.species(), 1f).sub(FloatVector.broadcast(x.species(), 2f).div(e.add(1f)));
        return t.blend(t.neg(), x.compare(VectorOperators.LT, 0f));
    }

    /** The sum of the lanes, added first lane to last. */
    public static float sum(FloatVector v) {
        float s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }
}
