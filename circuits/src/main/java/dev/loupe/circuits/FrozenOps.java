package dev.loupe.circuits;

import dev.loupe.core.Autograd;
import dev.loupe.core.Parallel;
import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.Sgemm;

/**
 * The local replacement model's frozen operations: a norm whose scale is frozen (a linear map; forward, for feature
 * interventions, and reverse), and the reverse passes of attention with a frozen pattern shared by every copy in the
 * batch and of a fixed linear weight. The model is linear in the residual stream, so its gradients need no forward
 * values: each reverse function maps the gradient at an operation's output to the gradient at its input. Gradients are plain arrays [batch, prefix, width] over the first
 * {@code prefix} positions (attention is causal, so a target at position p has zero gradient beyond p).
 */
final class FrozenOps {
    /** Query positions per block of the triangular pattern product (one depth block of the GEMM). */
    private static final int QUERY_BLOCK = 256;

    private FrozenOps() {}

    /**
     * LayerNorm (centred) or RMSNorm with a frozen scale: {@code y[b,p] = c(x[b,p]) · invScale[p] · gain + bias},
     * c centring or the identity. x [batch, pos, d]; invScale [pos] (1/σ of the real forward); gain, bias [d] or null.
     */
    static Tensor norm(Tensor x, float[] invScale, Tensor gain, Tensor bias, boolean centered) {
        int d = x.size(-1), rows = x.numel() / d, pos = invScale.length;
        float[] xd = x.data(), y = new float[xd.length];
        float[] gn = gain == null ? null : gain.data(), bn = bias == null ? null : bias.data();
        Parallel.forRange(rows, 16, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int o = r * d;
                float s = invScale[r % pos];
                double mean = 0;
                if (centered) {
                    for (int i = 0; i < d; i++) mean += xd[o + i];
                    mean /= d;
                }
                for (int i = 0; i < d; i++) {
                    float v = (float) (xd[o + i] - mean) * s;
                    if (gn != null) v *= gn[i];
                    if (bn != null) v += bn[i];
                    y[o + i] = v;
                }
            }
        });
        Tensor out = Tensor.of(y, x.shape());
        Autograd.record(out, g -> {
            float[] gd = g.data(), gx = new float[gd.length];
            Parallel.forRange(rows, 16, (lo, hi) -> {
                for (int r = lo; r < hi; r++) {
                    int o = r * d;
                    float s = invScale[r % pos];
                    double mean = 0;
                    for (int i = 0; i < d; i++) {
                        float t = gd[o + i] * s;
                        if (gn != null) t *= gn[i];
                        gx[o + i] = t;
                        mean += t;
                    }
                    if (centered) {
                        float m = (float) (mean / d);
                        for (int i = 0; i < d; i++) gx[o + i] -= m;
                    }
                }
            });
            Autograd.accumulate(x, Tensor.of(gx, x.shape()));
        }, x);
        return out;
    }

    /**
     * Through {@code y[b,p] = c(x[b,p]) · invScale[p] · gain + bias} (c centring or the identity), rows [0, rows):
     * gx = c*(g · invScale · gain), c* the centring's adjoint (subtract the mean) or the identity. A new array.
     */
    static float[] normBackward(float[] g, int rows, int prefix, int d, float[] invScale, Tensor gain, boolean centered) {
        float[] gn = gain == null ? null : gain.data(), gx = new float[g.length];
        Parallel.forRange(rows, 16, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int o = r * d;
                float s = invScale[r % prefix];
                double mean = 0;
                for (int i = 0; i < d; i++) {
                    float t = g[o + i] * s;
                    if (gn != null) t *= gn[i];
                    gx[o + i] = t;
                    mean += t;
                }
                if (centered) {
                    float m = (float) (mean / d);
                    for (int i = 0; i < d; i++) gx[o + i] -= m;
                }
            }
        });
        return gx;
    }

    /** Through {@code y = x · wᵀ} (w [out, in], held packed once), rows [0, rows): gx = g · w [rows, in], a new array of {@code total} rows. */
    static float[] linear(float[] g, int rows, int total, Tensor w) {
        int in = w.size(1), out = w.size(0);
        float[] gx = new float[total * in];
        Sgemm.gemmPackedTransposed(rows, g, 0, out, w.packedTranspose(), gx, 0, in);
        return gx;
    }

    /**
     * Through attention with a frozen pattern, z[b, q, h] = Σ_k pattern[h, q, k] · v[b, k, h / (heads / kvHeads)]:
     * gv[b, k, hk] = Σ_{h of hk} Σ_q pattern[h, q, k] · gz[b, q, h]. pattern [heads, pos, pos] is the prompt's; gz
     * [batch, prefix, heads, dh] → gv [batch, prefix, kvHeads, dh]. Copy b covers only its first {@code len[b]}
     * positions (0: skipped). The pattern is lower-triangular, so each block of queries multiplies only the keys up
     * to its last query.
     */
    static float[] mix(float[] pattern, int pos, float[] gz, int batch, int prefix, int heads, int kvHeads, int dh, int[] len) {
        int group = heads / kvHeads;
        float[] gv = new float[batch * prefix * kvHeads * dh];
        Parallel.forRange(batch * kvHeads, 1, (lo, hi) -> {
            for (int bk = lo; bk < hi; bk++) {
                int b = bk / kvHeads, hk = bk % kvHeads, n = len[b];
                for (int h = hk * group; h < (hk + 1) * group; h++) {
                    for (int q0 = 0; q0 < n; q0 += QUERY_BLOCK) {
                        int q1 = Math.min(n, q0 + QUERY_BLOCK);
                        Sgemm.sgemm(true, false, q1, dh, q1 - q0, 1f, pattern, h * pos * pos + q0 * pos, pos, gz, ((b * prefix + q0) * heads + h) * dh,
                                heads * dh, 1f, gv, (b * prefix * kvHeads + hk) * dh, kvHeads * dh);
                    }
                }
            }
        });
        return gv;
    }

    /** {@code fresh += other} and returns fresh (either may be null: the other is returned). fresh must be the caller's own array. */
    static float[] plus(float[] fresh, float[] other) {
        if (fresh == null) return other;
        if (other == null) return fresh;
        for (int i = 0; i < fresh.length; i++) fresh[i] += other[i];
        return fresh;
    }
}
