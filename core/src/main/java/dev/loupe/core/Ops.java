package dev.loupe.core;

import dev.loupe.core.kernels.Activation;
import dev.loupe.core.kernels.Attention;
import dev.loupe.core.kernels.Norms;
import dev.loupe.core.kernels.Rotary;
import dev.loupe.core.kernels.Sgemm;
import dev.loupe.core.kernels.Softmax;
import java.util.Arrays;

/**
 * The tensor operations a transformer is written in. Each returns a new tensor and never writes to its
 * inputs, so a tensor seen by a hook stays as it was seen.
 */
public final class Ops {
    private Ops() {}

    /** x [..., in] · w^T + b: w is [out, in] (PyTorch Linear layout), b is [out] or null. */
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
        float beta = 0f;
        if (b != null) {
            float[] bd = b.data();
            for (int r = 0; r < rows; r++) System.arraycopy(bd, 0, yd, r * out, out);
            beta = 1f;
        }
        Sgemm.sgemm(false, true, rows, out, in, 1f, x.data(), 0, in, w.data(), 0, in, beta, yd, 0, out);
        return y;
    }

    /** Elementwise a + b (same shape). */
    public static Tensor add(Tensor a, Tensor b) {
        requireSame("add", a, b);
        float[] x = a.data(), y = b.data();
        float[] o = new float[x.length];
        for (int i = 0; i < o.length; i++) o[i] = x[i] + y[i];
        return Tensor.of(o, a.shape());
    }

    /** Elementwise a + b + c (same shape): a parallel residual in one pass. */
    public static Tensor add(Tensor a, Tensor b, Tensor c) {
        requireSame("add", a, b);
        requireSame("add", a, c);
        float[] x = a.data(), y = b.data(), z = c.data();
        float[] o = new float[x.length];
        for (int i = 0; i < o.length; i++) o[i] = x[i] + y[i] + z[i];
        return Tensor.of(o, a.shape());
    }

    /** Elementwise a * b (same shape). */
    public static Tensor mul(Tensor a, Tensor b) {
        requireSame("mul", a, b);
        float[] x = a.data(), y = b.data();
        float[] o = new float[x.length];
        for (int i = 0; i < o.length; i++) o[i] = x[i] * y[i];
        return Tensor.of(o, a.shape());
    }

    /** LayerNorm over the last dimension; gain/bias [d] or null. */
    public static Tensor layerNorm(Tensor x, Tensor gain, Tensor bias, float eps) {
        int d = x.size(-1);
        Tensor y = Tensor.zeros(x.shape());
        Norms.layerNorm(x.data(), y.data(), x.numel() / d, d, dataOrNull(gain), dataOrNull(bias), eps);
        return y;
    }

    /** RMSNorm over the last dimension; gain [d] or null. */
    public static Tensor rmsNorm(Tensor x, Tensor gain, float eps) {
        int d = x.size(-1);
        Tensor y = Tensor.zeros(x.shape());
        Norms.rmsNorm(x.data(), y.data(), x.numel() / d, d, dataOrNull(gain), eps);
        return y;
    }

    public static Tensor activation(Tensor x, Activation f) {
        Tensor y = Tensor.zeros(x.shape());
        f.apply(x.data(), y.data(), x.numel());
        return y;
    }

    /** Rows of {@code table} [n, d] picked by ids [batch][pos] → [batch, pos, d]. */
    public static Tensor embedding(Tensor table, int[][] ids) {
        int n = table.size(0), d = table.size(1);
        int batch = ids.length, pos = ids[0].length;
        float[] t = table.data();
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
                System.arraycopy(t, id * d, o, (b * pos + p) * d, d);
            }
        }
        return Tensor.of(o, batch, pos, d);
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
        for (int r = 0; r < rows; r++) System.arraycopy(src, r * d + from, o, r * width, width);
        int[] shape = x.shape();
        shape[shape.length - 1] = width;
        return Tensor.of(o, shape);
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
        return y;
    }

    /** Attention scores [batch, heads, pos, keys], scaled and causally masked with -inf. */
    public static Tensor attentionScores(Tensor q, Tensor k, Attention.Dims d, float scale) {
        Tensor s = Tensor.zeros(d.batch(), d.heads(), d.pos(), d.keys());
        Attention.scores(q.data(), k.data(), d, scale, s.data());
        return s;
    }

    /** Softmax over the last dimension. */
    public static Tensor softmax(Tensor x) {
        Tensor y = Tensor.zeros(x.shape());
        Softmax.rows(x.data(), y.data(), x.numel() / x.size(-1), x.size(-1));
        return y;
    }

    /** pattern [batch, heads, pos, keys] applied to values → z [batch, pos, heads, headDim]. */
    public static Tensor attentionMix(Tensor pattern, Tensor v, Attention.Dims d) {
        Tensor z = Tensor.zeros(d.batch(), d.pos(), d.heads(), d.headDim());
        Attention.mix(pattern.data(), v.data(), d, z.data());
        return z;
    }

    /** Fused attention: z [batch, pos, heads, headDim] without materialising the pattern. */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, Attention.Dims d, float scale) {
        Tensor z = Tensor.zeros(d.batch(), d.pos(), d.heads(), d.headDim());
        Attention.attend(q.data(), k.data(), v.data(), d, scale, z.data());
        return z;
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
