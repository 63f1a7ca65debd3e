package dev.loupe.core.kernels;

import jdk.incubator.vector.FloatVector;
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

    /** out[i] = f(x[i]) for i in [0, n). {@code out} may be {@code x}. */
    public void apply(float[] x, float[] out, int n) {
        int i = 0;
        int ub = S.loopBound(n);
        switch (this) {
            case GELU_TANH -> {
                for (; i < ub; i += S.length()) {
                    FloatVector v = FloatVector.fromArray(S, x, i);
                    FloatVector inner = v.mul(v).mul(v).mul(0.044715f).add(v).mul(SQRT_2_OVER_PI);
                    v.mul(0.5f).mul(VectorMath.tanh(inner).add(1f)).intoArray(out, i);
                }
            }
            case SILU -> {
                for (; i < ub; i += S.length()) {
                    FloatVector v = FloatVector.fromArray(S, x, i);
                    v.div(VectorMath.exp(v.neg()).add(1f)).intoArray(out, i);
                }
            }
            case RELU -> {
                for (; i < ub; i += S.length()) FloatVector.fromArray(S, x, i).max(0f).intoArray(out, i);
            }
            case GELU_ERF -> { } // scalar below: erf has no vector intrinsic
        }
        for (; i < n; i++) out[i] = scalar(x[i]);
    }

    /** f(x) for one value. */
    public float scalar(float x) {
        return switch (this) {
            case GELU_TANH -> (float) (0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))));
            case GELU_ERF -> (float) (0.5 * x * (1 + Erf.erf(x * INV_SQRT2)));
            case SILU -> (float) (x / (1 + Math.exp(-x)));
            case RELU -> Math.max(0f, x);
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
