package dev.loupe.core;

import dev.loupe.core.kernels.Activation;
import dev.loupe.core.kernels.Attention;
import dev.loupe.core.kernels.Elementwise;
import dev.loupe.core.kernels.Norms;
import dev.loupe.core.kernels.Rotary;
import dev.loupe.core.kernels.SoftCap;
import dev.loupe.core.kernels.Sgemm;
import dev.loupe.core.kernels.Softmax;
import java.util.Arrays;

/**
 * The differentiable tensor operations a transformer is written in. Each returns a new tensor and never
 * writes to its inputs, so a tensor seen by a hook stays as it was seen. When an input is tracked
 * (see {@link Autograd}) the result records its backward function, keeping only what that needs.
 */
public final class Ops {
    private Ops() {}

    /**
     * x [..., in] · w^T + b: w is [out, in] (PyTorch Linear layout), b is [out] or null. When w is not being
     * differentiated it is used prepacked ({@link Tensor#packedTranspose()}, float32 or 16-bit), in both
     * directions, and each output row is bit-identical whatever the other rows are (see {@link Sgemm#gemmPacked}).
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        int in = w.size(1), out = w.size(0);
        if (x.size(-1) != in) {
            throw new IllegalArgumentException("linear: input width " + x.size(-1) + " does not match weight " + Arrays.toString(w.shape()));
        }
        int rows = x.numel() / in;
        int[] shape = x.shape();
        shape[shape.length - 1] = out;
        Tensor y = Tensor.zeros(shape);
        float[] yd = y.data();
        if (!w.tracked()) { // a fixed weight: prepacked, and each row's result independent of the batch
            Sgemm.gemmPacked(rows, x.data(), 0, in, w.packedTranspose(), b == null ? null : b.data(), yd, 0, out);
        } else {
            float beta = 0f;
            if (b != null) {
                float[] bd = b.data();
                for (int r = 0; r < rows; r++) System.arraycopy(bd, 0, yd, r * out, out);
                beta = 1f;
            }
            Sgemm.sgemm(false, true, rows, out, in, 1f, x.data(), 0, in, w.data(), 0, in, beta, yd, 0, out);
        }
        Autograd.record(y, g -> {
            float[] gd = g.data();
            if (x.tracked()) {
                Tensor gx = Tensor.zeros(x.shape());
                if (w.tracked()) Sgemm.sgemm(false, false, rows, in, out, 1f, gd, 0, out, w.data(), 0, in, 0f, gx.data(), 0, in);
                else Sgemm.gemmPackedTransposed(rows, gd, 0, out, w.packedTranspose(), gx.data(), 0, in);
                Autograd.accumulate(x, gx);
            }
            if (w.tracked()) {
                Tensor gw = Tensor.zeros(out, in);
                Sgemm.sgemm(true, false, out, in, rows, 1f, gd, 0, out, x.data(), 0, in, 0f, gw.data(), 0, in);
                Autograd.accumulate(w, gw);
            }
            if (b != null && b.tracked()) Autograd.accumulate(b, Tensor.of(columnSums(gd, rows, out), out));
        }, x, w, b);
        return y;
    }

    /** Elementwise sum of tensors of one shape (a residual addition; three for a parallel residual). */
    public static Tensor add(Tensor... terms) {
        Tensor first = terms[0];
        for (Tensor t : terms) requireSame("add", first, t);
        float[] o = new float[first.numel()];
        byRows(o.length, 1, (lo, hi) -> {
            System.arraycopy(first.data(), lo, o, lo, hi - lo);
            for (int k = 1; k < terms.length; k++) {
                float[] y = terms[k].data();
                for (int i = lo; i < hi; i++) o[i] += y[i];
            }
        });
        Tensor out = Tensor.of(o, first.shape());
        Autograd.record(out, g -> {
            for (Tensor t : terms) Autograd.accumulate(t, g);
        }, terms);
        return out;
    }

    /** Elementwise a * b (same shape). */
    public static Tensor mul(Tensor a, Tensor b) {
        requireSame("mul", a, b);
        Tensor out = product(a, b);
        Autograd.record(out, g -> {
            if (a.tracked()) Autograd.accumulate(a, product(g, b));
            if (b.tracked()) Autograd.accumulate(b, product(g, a));
        }, a, b);
        return out;
    }

    /** x * s for a constant s. */
    public static Tensor scale(Tensor x, float s) {
        Tensor out = scaled(x, s);
        Autograd.record(out, g -> Autograd.accumulate(x, scaled(g, s)), x);
        return out;
    }

    /** x + c elementwise for a constant c (e.g. Gemma's norm gain 1 + w). */
    public static Tensor shift(Tensor x, float c) {
        float[] xd = x.data(), o = new float[xd.length];
        for (int i = 0; i < o.length; i++) o[i] = xd[i] + c;
        Tensor out = Tensor.of(o, x.shape());
        Autograd.record(out, g -> Autograd.accumulate(x, g), x);
        return out;
    }

    /** Soft-capping c·tanh(x / c) elementwise (Gemma 2's final logits); -inf stays -inf. */
    public static Tensor softcap(Tensor x, float cap) {
        float[] o = x.data().clone();
        int d = x.size(-1);
        byRows(o.length / d, d, (lo, hi) -> SoftCap.apply(o, lo * d, (hi - lo) * d, cap));
        Tensor out = Tensor.of(o, x.shape());
        Autograd.record(out, g -> {
            float[] gd = g.data().clone();
            Attention.softcapBackward(o, gd, cap);
            Autograd.accumulate(x, Tensor.of(gd, x.shape()));
        }, x);
        return out;
    }

    /**
     * {@link #softcap} written over x's own data, for a tensor its caller owns (nothing else reads it) and no
     * gradient flows through: the same bits without a second copy (a prefill's logits are the largest tensor).
     */
    public static Tensor softcapInPlace(Tensor x, float cap) {
        requireUntracked("softcapInPlace", x);
        float[] o = x.data();
        int d = x.size(-1);
        byRows(o.length / d, d, (lo, hi) -> SoftCap.apply(o, lo * d, (hi - lo) * d, cap));
        return x;
    }

    /** {@link #activation} written over x's own data; the same conditions and bits as {@link #softcapInPlace}. */
    public static Tensor activationInPlace(Tensor x, Activation f) {
        requireUntracked("activationInPlace", x);
        int d = x.size(-1);
        float[] xd = x.data();
        byRows(d == 0 ? 0 : x.numel() / d, d, (lo, hi) -> {
            for (int r = lo; r < hi; r++) f.apply(xd, xd, r * d, d);
        });
        return x;
    }

    /** {@link #mul} written over a's own data; the same conditions and bits as {@link #softcapInPlace}. */
    public static Tensor mulInPlace(Tensor a, Tensor b) {
        requireSame("mulInPlace", a, b);
        requireUntracked("mulInPlace", a, b);
        float[] x = a.data(), y = b.data();
        for (int i = 0; i < x.length; i++) x[i] *= y[i];
        return a;
    }

    private static void requireUntracked(String op, Tensor... ts) {
        if (Autograd.needed(ts)) throw new IllegalArgumentException(op + ": a gradient flows through its input; use the copying op");
    }

    /** LayerNorm over the last dimension; gain/bias [d] or null. */
    public static Tensor layerNorm(Tensor x, Tensor gain, Tensor bias, float eps) {
        int d = x.size(-1), rows = x.numel() / d;
        Tensor y = Tensor.zeros(x.shape());
        byRows(rows, d, (lo, hi) -> Norms.layerNorm(x.data(), y.data(), lo, hi, d, dataOrNull(gain), dataOrNull(bias), eps));
        Autograd.record(y, g -> normBackward(x, gain, bias, g, eps, true), x, gain, bias);
        return y;
    }

    /** RMSNorm over the last dimension; gain [d] or null. */
    public static Tensor rmsNorm(Tensor x, Tensor gain, float eps) {
        int d = x.size(-1), rows = x.numel() / d;
        Tensor y = Tensor.zeros(x.shape());
        byRows(rows, d, (lo, hi) -> Norms.rmsNorm(x.data(), y.data(), lo, hi, d, dataOrNull(gain), eps));
        Autograd.record(y, g -> normBackward(x, gain, null, g, eps, false), x, gain);
        return y;
    }

    /** Backward of LayerNorm (centered) or RMSNorm (not centered), statistics recomputed in double. */
    private static void normBackward(Tensor x, Tensor gain, Tensor bias, Tensor g, float eps, boolean centered) {
        int d = x.size(-1), rows = x.numel() / d;
        float[] xd = x.data(), gd = g.data(), gn = gain == null ? null : gain.data();
        float[] gx = x.tracked() ? new float[xd.length] : null;
        float[] gGain = gain != null && gain.tracked() ? new float[d] : null;
        float[] dxhat = new float[d];
        float[] xhat = new float[d];
        for (int r = 0; r < rows; r++) {
            int o = r * d;
            double mean = 0;
            if (centered) {
                for (int i = 0; i < d; i++) mean += xd[o + i];
                mean /= d;
            }
            double var = 0;
            for (int i = 0; i < d; i++) var += (xd[o + i] - mean) * (xd[o + i] - mean);
            double rstd = 1 / Math.sqrt(var / d + eps);
            double sumD = 0, sumDX = 0;
            for (int i = 0; i < d; i++) {
                xhat[i] = (float) ((xd[o + i] - mean) * rstd);
                dxhat[i] = gn == null ? gd[o + i] : gd[o + i] * gn[i];
                sumD += dxhat[i];
                sumDX += dxhat[i] * xhat[i];
                if (gGain != null) gGain[i] += gd[o + i] * xhat[i];
            }
            if (gx != null) {
                double meanD = centered ? sumD / d : 0, meanDX = sumDX / d;
                for (int i = 0; i < d; i++) gx[o + i] = (float) (rstd * (dxhat[i] - meanD - xhat[i] * meanDX));
            }
        }
        if (gx != null) Autograd.accumulate(x, Tensor.of(gx, x.shape()));
        if (gGain != null) Autograd.accumulate(gain, Tensor.of(gGain, d));
        if (bias != null && bias.tracked()) Autograd.accumulate(bias, Tensor.of(columnSums(gd, rows, d), d));
    }

    public static Tensor activation(Tensor x, Activation f) {
        Tensor y = Tensor.zeros(x.shape());
        int d = x.size(-1);
        float[] xd = x.data(), yd = y.data();
        byRows(d == 0 ? 0 : x.numel() / d, d, (lo, hi) -> {
            for (int r = lo; r < hi; r++) f.apply(xd, yd, r * d, d);
        });
        Autograd.record(y, g -> {
            float[] gd = g.data();
            float[] gx = new float[xd.length];
            Parallel.forRange(gx.length, 4096, (lo, hi) -> {
                for (int i = lo; i < hi; i++) gx[i] = gd[i] * f.derivative(xd[i]);
            });
            Autograd.accumulate(x, Tensor.of(gx, x.shape()));
        }, x);
        return y;
    }

    /** Rows of {@code table} [n, d] picked by ids [batch][pos] → [batch, pos, d]. */
    public static Tensor embedding(Tensor table, int[][] ids) {
        int n = table.size(0), d = table.size(1);
        int batch = ids.length, pos = ids[0].length;
        float[] o = new float[batch * pos * d];
        for (int b = 0; b < batch; b++) {
            if (ids[b].length != pos) {
                throw new IllegalArgumentException("batch rows must have equal length: row 0 has " + pos + ", row " + b + " has " + ids[b].length);
            }
            for (int p = 0; p < pos; p++) {
                int id = ids[b][p];
                if (id < 0 || id >= n) {
                    throw new IllegalArgumentException("token id " + id + " at [" + b + ", " + p + "] is outside the vocabulary [0, " + n + ")");
                }
                table.row(id, o, (b * pos + p) * d);
            }
        }
        Tensor out = Tensor.of(o, batch, pos, d);
        Autograd.record(out, g -> {
            float[] gt = new float[table.numel()];
            float[] gd = g.data();
            for (int b = 0; b < batch; b++) {
                for (int p = 0; p < pos; p++) {
                    int src = (b * pos + p) * d, dst = ids[b][p] * d;
                    for (int i = 0; i < d; i++) gt[dst + i] += gd[src + i];
                }
            }
            Autograd.accumulate(table, Tensor.of(gt, n, d));
        }, table);
        return out;
    }

    /** Rows [start, start + pos) of {@code table} [n, d], repeated for each batch row → [batch, pos, d]. */
    public static Tensor positionRows(Tensor table, int batch, int pos, int start) {
        int n = table.size(0), d = table.size(1);
        if (start + pos > n) throw new IllegalArgumentException("positions up to " + (start + pos) + " but the table has " + n + " rows");
        float[] o = new float[batch * pos * d];
        for (int b = 0; b < batch; b++) {
            for (int p = 0; p < pos; p++) table.row(start + p, o, (b * pos + p) * d);
        }
        Tensor out = Tensor.of(o, batch, pos, d);
        Autograd.record(out, g -> {
            float[] gt = new float[table.numel()];
            float[] gd = g.data();
            for (int b = 0; b < batch; b++) for (int i = 0; i < pos * d; i++) gt[start * d + i] += gd[b * pos * d + i];
            Autograd.accumulate(table, Tensor.of(gt, n, d));
        }, table);
        return out;
    }

    /** x [batch, pos, d] → its last position [batch, 1, d]. */
    public static Tensor lastPosition(Tensor x) {
        int batch = x.size(0), pos = x.size(1), d = x.size(2);
        float[] out = new float[batch * d];
        for (int b = 0; b < batch; b++) System.arraycopy(x.data(), ((b + 1) * pos - 1) * d, out, b * d, d);
        Tensor y = Tensor.of(out, batch, 1, d);
        Autograd.record(y, g -> {
            float[] gx = new float[x.numel()];
            for (int b = 0; b < batch; b++) System.arraycopy(g.data(), b * d, gx, ((b + 1) * pos - 1) * d, d);
            Autograd.accumulate(x, Tensor.of(gx, x.shape()));
        }, x);
        return y;
    }

    /** The column block [from, from + width) of the last dimension. */
    public static Tensor columns(Tensor x, int from, int width) {
        int d = x.size(-1);
        if (from < 0 || from + width > d) {
            throw new IllegalArgumentException("columns [" + from + ", " + (from + width) + ") outside width " + d);
        }
        int rows = x.numel() / d;
        float[] src = x.data();
        float[] o = new float[rows * width];
        byRows(rows, width, (lo, hi) -> {
            for (int r = lo; r < hi; r++) System.arraycopy(src, r * d + from, o, r * width, width);
        });
        int[] shape = x.shape();
        shape[shape.length - 1] = width;
        Tensor y = Tensor.of(o, shape);
        Autograd.record(y, g -> {
            float[] gx = new float[src.length];
            for (int r = 0; r < rows; r++) System.arraycopy(g.data(), r * width, gx, r * d + from, width);
            Autograd.accumulate(x, Tensor.of(gx, x.shape()));
        }, x);
        return y;
    }

    /** The transpose of a matrix [rows, cols] → [cols, rows] (e.g. a weight stored [in, out] to PyTorch's [out, in]). */
    public static Tensor transpose(Tensor m) {
        if (m.shape().length != 2) throw new IllegalArgumentException("transpose needs a matrix, got shape " + Arrays.toString(m.shape()));
        int r = m.size(0), c = m.size(1);
        float[] src = m.data();
        float[] o = new float[src.length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) o[j * r + i] = src[i * c + j];
        return Tensor.of(o, c, r);
    }

    /** Rotary embedding of x [batch, pos, heads, headDim], first position at absolute {@code start}. */
    public static Tensor rotary(Tensor x, Rotary rope, int start) {
        Tensor y = Tensor.zeros(x.shape());
        rope.apply(x.data(), y.data(), x.size(0), x.size(1), x.size(2), x.size(3), start);
        Autograd.record(y, g -> {
            Tensor gx = Tensor.zeros(x.shape());
            rope.applyInverse(g.data(), gx.data(), x.size(0), x.size(1), x.size(2), x.size(3), start);
            Autograd.accumulate(x, gx);
        }, x);
        return y;
    }

    /** Attention scores [batch, heads, pos, keys], scaled, soft-capped when {@code d} says so, and masked with -inf. */
    public static Tensor attentionScores(Tensor q, Tensor k, Attention.Dims d, float scale) {
        Tensor s = Tensor.zeros(d.batch(), d.heads(), d.pos(), d.keys());
        Attention.scores(q.data(), k.data(), d, scale, s.data());
        Autograd.record(s, g -> {
            float[] gd = g.data();
            if (d.softcap() > 0) {
                gd = gd.clone();
                Attention.softcapBackward(s.data(), gd, d.softcap());
            }
            if (q.tracked()) {
                Tensor gq = Tensor.zeros(q.shape());
                Attention.scoresGradQuery(gd, k.data(), d, scale, gq.data());
                Autograd.accumulate(q, gq);
            }
            if (k.tracked()) {
                Tensor gk = Tensor.zeros(k.shape());
                Attention.scoresGradKey(gd, q.data(), d, scale, gk.data());
                Autograd.accumulate(k, gk);
            }
        }, q, k);
        return s;
    }

    /** Softmax over the last dimension. */
    public static Tensor softmax(Tensor x) {
        int n = x.size(-1), rows = x.numel() / n;
        Tensor y = Tensor.zeros(x.shape());
        Softmax.rows(x.data(), y.data(), rows, n);
        Autograd.record(y, g -> {
            float[] yd = y.data(), gd = g.data();
            float[] gx = new float[yd.length];
            for (int r = 0; r < rows; r++) {
                int o = r * n;
                double dot = 0;
                for (int i = 0; i < n; i++) dot += (double) gd[o + i] * yd[o + i];
                for (int i = 0; i < n; i++) gx[o + i] = (float) (yd[o + i] * (gd[o + i] - dot));
            }
            Autograd.accumulate(x, Tensor.of(gx, x.shape()));
        }, x);
        return y;
    }

    /** pattern [batch, heads, pos, keys] applied to values → z [batch, pos, heads, headDim]. */
    public static Tensor attentionMix(Tensor pattern, Tensor v, Attention.Dims d) {
        Tensor z = Tensor.zeros(d.batch(), d.pos(), d.heads(), d.headDim());
        Attention.mix(pattern.data(), v.data(), d, z.data());
        Autograd.record(z, g -> {
            if (pattern.tracked()) {
                Tensor gp = Tensor.zeros(pattern.shape());
                Attention.mixGradPattern(g.data(), v.data(), d, gp.data());
                Autograd.accumulate(pattern, gp);
            }
            if (v.tracked()) {
                Tensor gv = Tensor.zeros(v.shape());
                Attention.mixGradValue(g.data(), pattern.data(), d, gv.data());
                Autograd.accumulate(v, gv);
            }
        }, pattern, v);
        return z;
    }

    /**
     * Attention z [batch, pos, heads, headDim]. Fused (no [pos, keys] pattern held) when nothing is
     * differentiated; otherwise scores, softmax and mix are recorded separately.
     */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, Attention.Dims d, float scale) {
        if (Autograd.needed(q, k, v)) return attentionMix(softmax(attentionScores(q, k, d, scale)), v, d);
        Tensor z = Tensor.zeros(d.batch(), d.pos(), d.heads(), d.headDim());
        Attention.attend(q.data(), k.data(), v.data(), d, scale, z.data());
        return z;
    }

    /**
     * Mean next-token cross-entropy: logits [batch, pos, vocab] at positions 0..pos-2 predict
     * targets [batch][1..pos-1]. Returns a scalar tensor of shape [1].
     */
    public static Tensor nextTokenLoss(Tensor logits, int[][] tokens) {
        int batch = logits.size(0), pos = logits.size(1), vocab = logits.size(2);
        if (pos < 2) throw new IllegalArgumentException("next-token loss needs at least 2 positions, got " + pos);
        int count = batch * (pos - 1);
        float[] ld = logits.data();
        boolean keep = logits.tracked();
        float[] probs = new float[keep ? ld.length : 0];
        double[] rowLoss = new double[batch * pos];
        Parallel.forRange(batch * pos, 16, (lo, hi) -> {
            float[] scratch = keep ? null : new float[vocab];
            for (int r = lo; r < hi; r++) {
                int b = r / pos, p = r % pos;
                if (p == pos - 1) continue; // the last position predicts nothing
                int o = r * vocab;
                float logZ = keep ? Softmax.row(ld, o, probs, o, vocab) : Softmax.row(ld, o, scratch, 0, vocab);
                rowLoss[r] = (double) logZ - ld[o + tokens[b][p + 1]];
            }
        });
        double total = 0;
        for (double v : rowLoss) total += v;
        Tensor loss = Tensor.of(new float[] {(float) (total / count)}, 1);
        Autograd.record(loss, g -> {
            float s = g.data()[0] / count;
            Parallel.forRange(batch * pos, 16, (lo, hi) -> {
                for (int r = lo; r < hi; r++) {
                    int b = r / pos, p = r % pos, o = r * vocab;
                    if (p == pos - 1) {
                        Arrays.fill(probs, o, o + vocab, 0f);
                        continue;
                    }
                    Elementwise.scale(probs, o, vocab, s);
                    probs[o + tokens[b][p + 1]] -= s;
                }
            });
            Autograd.accumulate(logits, Tensor.of(probs, logits.shape()));
        }, logits);
        return loss;
    }

    /**
     * x + v where v's shape is a suffix of x's (v repeated over x's leading dimensions): a steering vector
     * added at every position. Differentiable in both.
     */
    public static Tensor addBroadcast(Tensor x, Tensor v) {
        int[] xs = x.shape(), vs = v.shape();
        int lead = xs.length - vs.length;
        if (lead < 0 || !Arrays.equals(Arrays.copyOfRange(xs, lead, xs.length), vs)) {
            throw new IllegalArgumentException("addBroadcast: shape " + Arrays.toString(vs) + " is not a suffix of " + Arrays.toString(xs));
        }
        float[] o = x.data().clone(), vd = v.data();
        int w = vd.length;
        for (int r = 0; r < o.length; r += w) for (int i = 0; i < w; i++) o[r + i] += vd[i];
        Tensor out = Tensor.of(o, xs);
        Autograd.record(out, g -> {
            Autograd.accumulate(x, g);
            if (v.tracked()) Autograd.accumulate(v, Tensor.of(columnSums(g.data(), o.length / Math.max(w, 1), w), vs));
        }, x, v);
        return out;
    }

    /**
     * Elementwise {@code mask ? a : b} over tensors of one shape (a masked write); the gradient goes to
     * {@code a} where the mask is set and to {@code b} elsewhere.
     */
    public static Tensor where(boolean[] mask, Tensor a, Tensor b) {
        requireSame("where", a, b);
        if (mask.length != a.numel()) throw new IllegalArgumentException("where: mask of " + mask.length + " for " + a.numel() + " elements");
        float[] ad = a.data(), o = b.data().clone();
        for (int i = 0; i < o.length; i++) if (mask[i]) o[i] = ad[i];
        Tensor out = Tensor.of(o, a.shape());
        Autograd.record(out, g -> {
            float[] gd = g.data();
            float[] ga = new float[gd.length], gb = gd.clone();
            for (int i = 0; i < gd.length; i++) {
                if (mask[i]) {
                    ga[i] = gd[i];
                    gb[i] = 0f;
                }
            }
            Autograd.accumulate(a, Tensor.of(ga, a.shape()));
            Autograd.accumulate(b, Tensor.of(gb, b.shape()));
        }, a, b);
        return out;
    }

    /** x limited to [min, max] elementwise (either bound may be infinite); gradient passes where x is inside. */
    public static Tensor clamp(Tensor x, float min, float max) {
        float[] d = x.data();
        float[] o = new float[d.length];
        for (int i = 0; i < o.length; i++) o[i] = Math.min(Math.max(d[i], min), max);
        Tensor out = Tensor.of(o, x.shape());
        Autograd.record(out, g -> {
            float[] gx = g.data().clone();
            for (int i = 0; i < gx.length; i++) if (d[i] < min || d[i] > max) gx[i] = 0f;
            Autograd.accumulate(x, Tensor.of(gx, x.shape()));
        }, x);
        return out;
    }

    /** Sum of all elements, as a tensor of shape [1]. */
    public static Tensor sum(Tensor x) {
        double s = 0;
        for (float v : x.data()) s += v;
        Tensor out = Tensor.of(new float[] {(float) s}, 1);
        Autograd.record(out, g -> {
            float[] gx = new float[x.numel()];
            Arrays.fill(gx, g.data()[0]);
            Autograd.accumulate(x, Tensor.of(gx, x.shape()));
        }, x);
        return out;
    }

    /** x * s, untracked. */
    private static Tensor scaled(Tensor x, float s) {
        float[] d = x.data();
        float[] o = new float[d.length];
        for (int i = 0; i < o.length; i++) o[i] = d[i] * s;
        return Tensor.of(o, x.shape());
    }

    /** a * b elementwise (same shape), untracked. */
    private static Tensor product(Tensor a, Tensor b) {
        float[] x = a.data(), y = b.data();
        float[] o = new float[x.length];
        for (int i = 0; i < o.length; i++) o[i] = x[i] * y[i];
        return Tensor.of(o, a.shape());
    }

    static float[] columnSums(float[] x, int rows, int cols) {
        float[] s = new float[cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) s[c] += x[r * cols + c];
        return s;
    }

    /** Elements per core below which a row-wise operation stays on the calling thread. */
    private static final int PARALLEL_MIN_ELEMENTS = 1 << 15;

    /**
     * Runs {@code body} over rows [0, rows) of {@code width} elements, split across the cores when there is
     * enough work. Rows are split, never reductions, so results do not depend on the core count.
     */
    private static void byRows(int rows, int width, Parallel.RangeBody body) {
        Parallel.forRange(rows, Math.max(1, PARALLEL_MIN_ELEMENTS / Math.max(1, width)), body);
    }

    private static float[] dataOrNull(Tensor t) {
        return t == null ? null : t.data();
    }

    private static void requireSame(String op, Tensor a, Tensor b) {
        if (!a.sameShape(b)) {
            throw new IllegalArgumentException(op + ": shapes differ, " + Arrays.toString(a.shape()) + " vs " + Arrays.toString(b.shape()));
        }
    }
}
