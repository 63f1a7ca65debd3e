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
        Autograd.record(out, g -> Autograd.accumulate(x, Tensor.of(normBackward(g.data(), rows, pos, d, invScale, gain, centered), x.shape())), x);
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

    /** Through {@code y = x · wᵀ}, w [out, in] row-major: gx = g · w over rows [0, rows) of g [total, out]; a new array [total, in]. */
    static float[] linear(float[] g, int rows, int total, float[] w, int out, int in) {
        float[] gx = new float[total * in];
        Sgemm.sgemm(false, false, rows, in, out, 1f, g, 0, out, w, 0, in, 0f, gx, 0, in);
        return gx;
    }

    /**
     * Through attention with a frozen pattern, z[b, q, h] = Σ_k pattern[h, q, k] · v[b, k, h / (heads / kvHeads)]:
     * gv[b, k, hk] = Σ_{h of hk} Σ_q pattern[h, q, k] · gz[b, q, h], the prompt's pattern of {@code layer} read from {@code patterns}; gz
     * [batch, prefix, heads, dh] → gv [batch, prefix, kvHeads, dh], copies [0, live) (the rest are zero). The copies
     * are laid side by side so each head is one GEMM [prefix, prefix]ᵀ · [prefix, live · dh]; the pattern is
     * lower-triangular, so each block of queries multiplies only the keys up to its last query.
     */
    static float[] mix(FrozenPatterns patterns, int layer, float[] gz, int batch, int live, int prefix, int heads, int kvHeads, int dh) {
        int group = heads / kvHeads, width = live * dh;
        float[] zt = new float[heads * prefix * width], gt = new float[kvHeads * prefix * width];
        for (int b = 0; b < live; b++) { // [b, q, h, :] → [h, q, b, :]
            for (int q = 0; q < prefix; q++) {
                for (int h = 0; h < heads; h++) System.arraycopy(gz, ((b * prefix + q) * heads + h) * dh, zt, (h * prefix + q) * width + b * dh, dh);
            }
        }
        for (int q0 = 0; q0 < prefix; q0 += FrozenPatterns.QUERY_BLOCK) {
            int q1 = Math.min(prefix, q0 + FrozenPatterns.QUERY_BLOCK), rows = q1 - q0, start = q0;
            float[] block = patterns.block(layer, q0); // [heads, ld - q0, ld]: this pass reads rows [q0, q1) of it
            int ld = patterns.keys(q0);
            Parallel.forRange(kvHeads, 1, (lo, hi) -> {
                for (int hk = lo; hk < hi; hk++) {
                    for (int h = hk * group; h < (hk + 1) * group; h++) {
                        Sgemm.sgemm(true, false, q1, width, rows, 1f, block, h * (ld - start) * ld, ld, zt, (h * prefix + start) * width, width,
                                1f, gt, hk * prefix * width, width);
                    }
                }
            });
        }
        float[] gv = new float[batch * prefix * kvHeads * dh];
        for (int b = 0; b < live; b++) { // [hk, k, b, :] → [b, k, hk, :]
            for (int k = 0; k < prefix; k++) {
                for (int hk = 0; hk < kvHeads; hk++) System.arraycopy(gt, (hk * prefix + k) * width + b * dh, gv, ((b * prefix + k) * kvHeads + hk) * dh, dh);
            }
        }
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
