package dev.loupe.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * e^x for float vectors built only from IEEE-exact operations (add, multiply, fused multiply-add, bit
 * shifts), so the interpreter and every JIT tier give the same bits. The Vector API's own
 * {@code lanewise(EXP)} does not: once C2 compiles it, a few lanes in a thousand change their last bit,
 * which breaks bit-for-bit reproducibility of softmax and SiLU across runs and batch compositions.
 *
 * <p>Range reduction x = n ln2 + r with |r| <= ln2/2 (ln2 split in two for accuracy), a degree-6
 * polynomial for e^r (about 1 ulp), and 2^n assembled in the exponent bits. Results below ~1.2e-38 are
 * flushed to zero, so e^-inf is exactly 0.
 */
public final class Exp {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float HI = 88.0f;
    private static final float LO = -87.3f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float to the nearest integer, which then sits in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);

    private Exp() {}

    private static FloatVector bc(float v) {
        return FloatVector.broadcast(S, v);
    }

    /** e^x lane by lane. */
    public static FloatVector exp(FloatVector x) {
        FloatVector xc = x.min(HI).max(LO);
        FloatVector t = xc.fma(LOG2E, ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(bc(-LN2_HI), xc);
        r = n.fma(bc(-LN2_LO), r);
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(r, bc(8.3334519073e-3f));
        p = p.fma(r, bc(4.1665795894e-2f));
        p = p.fma(r, bc(1.6666665459e-1f));
        p = p.fma(r, bc(5.0000001201e-1f));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector k = t.reinterpretAsInts().sub(ROUND_BITS).add(127).lanewise(VectorOperators.LSHL, 23);
        FloatVector y = p.mul(k.reinterpretAsFloats());
        return y.blend(0f, x.compare(VectorOperators.LT, LO));
    }
}
