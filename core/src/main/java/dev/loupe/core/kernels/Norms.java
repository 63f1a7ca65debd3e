package dev.loupe.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Row normalisations used by transformer blocks: LayerNorm and RMSNorm over the last dimension. */
public final class Norms {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Norms() {}

    /**
     * LayerNorm of each of {@code rows} rows of width {@code d}: (x - mean) / sqrt(var + eps) * gain + bias.
     * {@code gain} and {@code bias} may be null (identity). Statistics in float32, as PyTorch computes them.
     */
    public static void layerNorm(float[] x, float[] out, int rows, int d, float[] gain, float[] bias, float eps) {
        for (int r = 0; r < rows; r++) {
            int o = r * d;
            float mean = sum(x, o, d) / d;
            float var = 0;
            int i = 0;
            FloatVector acc = FloatVector.zero(S);
            for (int ub = S.loopBound(d); i < ub; i += S.length()) {
                FloatVector c = FloatVector.fromArray(S, x, o + i).sub(mean);
                acc = c.fma(c, acc);
            }
            var = VectorMath.sum(acc);
            for (; i < d; i++) {
                float c = x[o + i] - mean;
                var += c * c;
            }
            float inv = (float) (1.0 / Math.sqrt(var / d + eps));
            affine(x, out, o, d, mean, inv, gain, bias);
        }
    }

    /** RMSNorm of each row: x / sqrt(mean(x^2) + eps) * gain ({@code gain} may be null). */
    public static void rmsNorm(float[] x, float[] out, int rows, int d, float[] gain, float eps) {
        for (int r = 0; r < rows; r++) {
            int o = r * d;
            int i = 0;
            FloatVector acc = FloatVector.zero(S);
            for (int ub = S.loopBound(d); i < ub; i += S.length()) {
                FloatVector v = FloatVector.fromArray(S, x, o + i);
                acc = v.fma(v, acc);
            }
            float ss = VectorMath.sum(acc);
            for (; i < d; i++) ss += x[o + i] * x[o + i];
            float inv = (float) (1.0 / Math.sqrt(ss / d + eps));
            affine(x, out, o, d, 0f, inv, gain, null);
        }
    }

    /** out[o+i] = (x[o+i] - shift) * scale * gain[i] + bias[i]. */
    private static void affine(float[] x, float[] out, int o, int d, float shift, float scale, float[] gain, float[] bias) {
        int i = 0;
        for (int ub = S.loopBound(d); i < ub; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, o + i).sub(shift).mul(scale);
            if (gain != null) v = v.mul(FloatVector.fromArray(S, gain, i));
            if (bias != null) v = v.add(FloatVector.fromArray(S, bias, i));
            v.intoArray(out, o + i);
        }
        for (; i < d; i++) {
            float v = (x[o + i] - shift) * scale;
            if (gain != null) v *= gain[i];
            if (bias != null) v += bias[i];
            out[o + i] = v;
        }
    }

    static float sum(float[] x, int o, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (int ub = S.loopBound(n); i < ub; i += S.length()) acc = acc.add(FloatVector.fromArray(S, x, o + i));
        float s = VectorMath.sum(acc);
        for (; i < n; i++) s += x[o + i];
        return s;
    }
}
