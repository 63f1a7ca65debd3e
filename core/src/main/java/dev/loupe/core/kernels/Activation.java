package dev.loupe.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
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
     * the same vector code (the tail under a mask) and e^x comes from {@link Exp}, so an element's bits depend
     * neither on the JIT tier nor on where it sits in the array (a row gives the same bits in any batch).
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
            // 0.5 v (1 + tanh u) = v - v / (1 + e^(2u))
            case GELU_TANH -> v.sub(v.div(Exp.exp(v.mul(v).mul(v).mul(0.044715f).add(v).mul(2 * SQRT_2_OVER_PI)).add(1f)));
            case SILU -> v.div(Exp.exp(v.neg()).add(1f));
            case RELU -> v.max(0f);
            case GELU_ERF -> throw new IllegalStateException("GELU_ERF is computed in scalar form");
        };
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
