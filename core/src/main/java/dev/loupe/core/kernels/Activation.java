package dev.loupe.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Pointwise MLP non-linearities, named as Hugging Face configs name them. */
public enum Activation {
    /** GELU, tanh approximation ("gelu_new", "gelu_pytorch_tanh"): GPT-2. */
    GELU_TANH,
    /** GELU, exact erf form ("gelu"): GPT-NeoX, BERT. */
    GELU_ERF,
    /** SiLU / swish ("silu"): Llama gate. */
    SILU,
    RELU;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));
    private static final float LOG2E = 1.44269504088896341f, ROUND = 12582912f; // 1.5 * 2^23: adding it rounds to an integer
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;

    /** Parses a Hugging Face {@code hidden_act} / {@code activation_function} value. */
    public static Activation fromHf(String name) {
        return switch (name) {
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> GELU_TANH;
            case "gelu", "gelu_python" -> GELU_ERF;
            case "silu", "swish" -> SILU;
            case "relu" -> RELU;
            default -> throw new IllegalArgumentException("unsupported activation function '" + name
                    + "' (supported: gelu_new, gelu_pytorch_tanh, gelu, silu, relu)");
        };
    }

    /**
     * out[i] = f(x[i]) for i in [off, off + n). {@code out} may be {@code x}. Every element goes through
     * the same vector code (the tail under a mask), built from exactly rounded operations only: the Vector
     * API's TANH and EXP give different bits compiled (a math library) and interpreted, which would make
     * a result depend on JIT timing.
     */
    public void apply(float[] x, float[] out, int off, int n) {
        int end = off + n;
        if (this == GELU_ERF) { // erf has no vector form
            for (int i = off; i < end; i++) out[i] = (float) (0.5 * x[i] * (1 + Erf.erf(x[i] * INV_SQRT2)));
            return;
        }
        int i = off;
        for (int ub = off + S.loopBound(n); i < ub; i += S.length()) vector(FloatVector.fromArray(S, x, i)).intoArray(out, i);
        if (i < end) {
            VectorMask<Float> m = S.indexInRange(i, end);
            vector(FloatVector.fromArray(S, x, i, m)).intoArray(out, i, m);
        }
    }

    private FloatVector vector(FloatVector v) {
        return switch (this) {
            case GELU_TANH -> v.mul(0.5f).mul(tanh(v.mul(v).mul(v).mul(0.044715f).add(v).mul(SQRT_2_OVER_PI)).add(1f));
            case SILU -> v.div(exp(v.neg()).add(1f));
            case RELU -> v.max(0f);
            case GELU_ERF -> throw new IllegalStateException("GELU_ERF is computed in scalar form");
        };
    }

    /** tanh(u) = sign(u) (1 - 2 / (e^{2|u|} + 1)). */
    private static FloatVector tanh(FloatVector u) {
        FloatVector t = exp(u.abs().mul(2f)).add(1f);
        t = FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(t));
        return t.blend(t.neg(), u.lt(0f));
    }

    /**
     * e^x to about 1 ulp (Cephes' expf: x = n ln2 + r, a degree-7 polynomial in r, scaled by 2^n through
     * the exponent bits), x clamped to [-87, 88] so 2^n stays a normal float.
     */
    private static FloatVector exp(FloatVector x) {
        x = x.max(-87f).min(88f);
        FloatVector n = x.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUND)).sub(ROUND); // nearest integer
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, 1.9875691500e-4f);
        p = p.fma(r, FloatVector.broadcast(S, 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(S, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(S, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(S, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(S, 5.0000001201e-1f));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /** f'(x) for one value (used by the backward pass). */
    public float derivative(float x) {
        return switch (this) {
            case GELU_TANH -> {
                double u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
                double t = Math.tanh(u);
                double du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
                yield (float) (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du);
            }
            case GELU_ERF -> (float) (0.5 * (1 + Erf.erf(x * INV_SQRT2)) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI));
            case SILU -> {
                double s = 1 / (1 + Math.exp(-x));
                yield (float) (s * (1 + x * (1 - s)));
            }
            case RELU -> x > 0 ? 1f : 0f;
        };
    }
}
