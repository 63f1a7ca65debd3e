package dev.loupe.circuits;

import dev.loupe.core.Autograd;
import dev.loupe.core.Parallel;
import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.Sgemm;

/**
 * The differentiable operations of the local replacement model that {@link dev.loupe.core.Ops} has no form for:
 * a norm whose scale is frozen (a linear map), attention with a frozen pattern shared by every copy in the
 * batch, and a probe that reads chosen rows of an activation along chosen directions. All three are linear
 * in their tracked input, which is what makes the replacement model's gradients exact direct effects.
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
     * Attention with a frozen pattern: z[b, q, h] = Σ_k pattern[h, q, k] · v[b, k, h / (heads / kvHeads)].
     * pattern [heads, pos, pos] is one sequence's, shared by the batch; v [batch, pos, kvHeads, dHead] → z
     * [batch, pos, heads, dHead]. Each (copy, head) is one GEMM, forward and backward.
     */
    static Tensor mix(float[] pattern, Tensor v, int heads) {
        int batch = v.size(0), pos = v.size(1), kvHeads = v.size(2), dh = v.size(3), group = heads / kvHeads;
        float[] vd = v.data(), z = new float[batch * pos * heads * dh];
        Parallel.forRange(batch * heads, 1, (lo, hi) -> {
            for (int bh = lo; bh < hi; bh++) {
                int b = bh / heads, h = bh % heads;
                Sgemm.sgemm(false, false, pos, dh, pos, 1f, pattern, h * pos * pos, pos, vd, (b * pos * kvHeads + h / group) * dh, kvHeads * dh,
                        0f, z, (b * pos * heads + h) * dh, heads * dh);
            }
        });
        Tensor out = Tensor.of(z, batch, pos, heads, dh);
        Autograd.record(out, g -> {
            float[] gd = g.data(), gv = new float[vd.length];
            Parallel.forRange(batch * kvHeads, 1, (lo, hi) -> {
                for (int bk = lo; bk < hi; bk++) {
                    int b = bk / kvHeads, hk = bk % kvHeads;
                    for (int h = hk * group; h < (hk + 1) * group; h++) {
                        Sgemm.sgemm(true, false, pos, dh, pos, 1f, pattern, h * pos * pos, pos, gd, (b * pos * heads + h) * dh, heads * dh,
                                1f, gv, (b * pos * kvHeads + hk) * dh, kvHeads * dh);
                    }
                }
            });
            Autograd.accumulate(v, Tensor.of(gv, v.shape()));
        }, v);
        return out;
    }

    /**
     * Σ_j x[copy_j, pos_j] · direction_j as a scalar [1]: the targets of one backward pass read from one activation
     * x [batch, pos, d]. Its gradient is direction_j at (copy_j, pos_j) and zero elsewhere.
     */
    static Tensor probe(Tensor x, int[] copy, int[] pos, float[][] direction) {
        int p = x.size(1), d = x.size(2);
        float[] xd = x.data();
        double s = 0;
        for (int j = 0; j < copy.length; j++) {
            int o = (copy[j] * p + pos[j]) * d;
            for (int i = 0; i < d; i++) s += (double) xd[o + i] * direction[j][i];
        }
        Tensor out = Tensor.of(new float[] {(float) s}, 1);
        Autograd.record(out, g -> {
            float[] gx = new float[xd.length];
            float scale = g.data()[0];
            for (int j = 0; j < copy.length; j++) {
                int o = (copy[j] * p + pos[j]) * d;
                for (int i = 0; i < d; i++) gx[o + i] += scale * direction[j][i];
            }
            Autograd.accumulate(x, Tensor.of(gx, x.shape()));
        }, x);
        return out;
    }
}
