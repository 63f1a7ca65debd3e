package dev.loupe.interp.trace;

import dev.loupe.core.Autograd;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * The tensor arithmetic of traces, differentiable where a gradient exists (through {@link Autograd}). Most
 * operations reduce to a gather map (indexing, broadcasting, transposes, top-k values, max), whose backward is
 * a scatter-add, and one same-shape elementwise loop. Sums accumulate in double and round once.
 */
final class TensorMath {
    private TensorMath() {}

    /** out[i] = x[map[i]] with the given shape; the gradient scatters back (adding over repeats). */
    static Tensor gather(Tensor x, int[] map, int[] shape) {
        float[] xd = x.data();
        float[] o = new float[map.length];
        for (int i = 0; i < o.length; i++) o[i] = xd[map[i]];
        Tensor out = Tensor.of(o, shape);
        Autograd.record(out, g -> {
            float[] gx = new float[xd.length];
            float[] gd = g.data();
            for (int i = 0; i < gd.length; i++) gx[map[i]] += gd[i];
            Autograd.accumulate(x, Tensor.of(gx, x.shape()));
        }, x);
        return out;
    }

    /** x with x[map[i]] = v[i] (v has map.length elements); gradient to x where unwritten, to v where read. */
    static Tensor put(Tensor x, int[] map, Tensor v) {
        float[] o = x.data().clone();
        float[] vd = v.data();
        for (int i = 0; i < map.length; i++) o[map[i]] = vd[i];
        Tensor out = Tensor.of(o, x.shape());
        Autograd.record(out, g -> {
            float[] gd = g.data();
            if (x.tracked()) {
                float[] gx = gd.clone();
                for (int m : map) gx[m] = 0f;
                Autograd.accumulate(x, Tensor.of(gx, x.shape()));
            }
            if (v.tracked()) {
                float[] gv = new float[map.length];
                for (int i = 0; i < map.length; i++) gv[i] = gd[map[i]];
                Autograd.accumulate(v, Tensor.of(gv, v.shape()));
            }
        }, x, v);
        return out;
    }

    static Tensor broadcastTo(Tensor x, int[] shape) {
        if (Arrays.equals(x.shape(), shape)) return x;
        return gather(x, Indexing.broadcastMap(x.shape(), shape), shape);
    }

    static Tensor index(Tensor x, java.util.List<Indexing.Item> items) {
        return gather(x, Indexing.map(x.shape(), items), Indexing.shape(x.shape(), items));
    }

    /** x with x[items] = v, v broadcast to the indexed shape. */
    static Tensor indexPut(Tensor x, java.util.List<Indexing.Item> items, Tensor v) {
        int[] map = Indexing.map(x.shape(), items);
        return put(x, map, broadcastTo(v, Indexing.shape(x.shape(), items)));
    }

    /** Binary elementwise operations with broadcasting. */
    enum Binary {
        ADD((a, b) -> a + b), SUB((a, b) -> a - b), MUL((a, b) -> a * b), DIV((a, b) -> a / b),
        MAXIMUM(Math::max), MINIMUM(Math::min), POW(Math::pow),
        EQ((a, b) -> a == b ? 1 : 0), NE((a, b) -> a != b ? 1 : 0), LT((a, b) -> a < b ? 1 : 0),
        LE((a, b) -> a <= b ? 1 : 0), GT((a, b) -> a > b ? 1 : 0), GE((a, b) -> a >= b ? 1 : 0);

        final DoubleBinaryOperator f;

        Binary(DoubleBinaryOperator f) {
            this.f = f;
        }

        boolean comparison() {
            return ordinal() >= EQ.ordinal();
        }
    }

    static Tensor binary(Binary op, Tensor a, Tensor b) {
        int[] shape = Indexing.broadcast(a.shape(), b.shape());
        Tensor x = broadcastTo(a, shape), y = broadcastTo(b, shape);
        float[] xd = x.data(), yd = y.data();
        float[] o = new float[xd.length];
        switch (op) { // float arithmetic exactly as Java (and NumPy float32) rounds it
            case ADD -> { for (int i = 0; i < o.length; i++) o[i] = xd[i] + yd[i]; }
            case SUB -> { for (int i = 0; i < o.length; i++) o[i] = xd[i] - yd[i]; }
            case MUL -> { for (int i = 0; i < o.length; i++) o[i] = xd[i] * yd[i]; }
            case DIV -> { for (int i = 0; i < o.length; i++) o[i] = xd[i] / yd[i]; }
            default -> { for (int i = 0; i < o.length; i++) o[i] = (float) op.f.applyAsDouble(xd[i], yd[i]); }
        }
        Tensor out = Tensor.of(o, shape);
        if (op.comparison()) return out;
        Autograd.record(out, g -> {
            float[] gd = g.data();
            float[] gx = new float[o.length], gy = new float[o.length];
            for (int i = 0; i < o.length; i++) {
                float u = xd[i], v = yd[i], d = gd[i];
                switch (op) {
                    case ADD -> { gx[i] = d; gy[i] = d; }
                    case SUB -> { gx[i] = d; gy[i] = -d; }
                    case MUL -> { gx[i] = d * v; gy[i] = d * u; }
                    case DIV -> { gx[i] = d / v; gy[i] = -d * u / (v * v); }
                    case MAXIMUM -> { if (u >= v) gx[i] = d; else gy[i] = d; }
                    case MINIMUM -> { if (u <= v) gx[i] = d; else gy[i] = d; }
                    case POW -> {
                        gx[i] = (float) (d * v * Math.pow(u, v - 1));
                        gy[i] = u > 0 ? (float) (d * o[i] * Math.log(u)) : 0f;
                    }
                    default -> throw new IllegalStateException();
                }
            }
            Autograd.accumulate(x, Tensor.of(gx, shape));
            Autograd.accumulate(y, Tensor.of(gy, shape));
        }, x, y);
        return out;
    }

    enum Unary {
        NEG(v -> -v, (v, y) -> -1), EXP(Math::exp, (v, y) -> y), LOG(Math::log, (v, y) -> 1 / v),
        SQRT(Math::sqrt, (v, y) -> 0.5 / y), ABS(Math::abs, (v, y) -> Math.signum(v)), RELU(v -> Math.max(v, 0), (v, y) -> v > 0 ? 1 : 0);

        final DoubleUnaryOperator f;
        final DoubleBinaryOperator derivative; // of (input, output)

        Unary(DoubleUnaryOperator f, DoubleBinaryOperator derivative) {
            this.f = f;
            this.derivative = derivative;
        }
    }

    static Tensor unary(Unary op, Tensor x) {
        float[] xd = x.data();
        float[] o = new float[xd.length];
        for (int i = 0; i < o.length; i++) o[i] = op == Unary.NEG ? -xd[i] : (float) op.f.applyAsDouble(xd[i]);
        Tensor out = Tensor.of(o, x.shape());
        Autograd.record(out, g -> {
            float[] gd = g.data(), gx = new float[o.length];
            for (int i = 0; i < o.length; i++) gx[i] = (float) (gd[i] * op.derivative.applyAsDouble(xd[i], o[i]));
            Autograd.accumulate(x, Tensor.of(gx, x.shape()));
        }, x);
        return out;
    }

    /** Sizes around one axis: elements before it (outer), along it, after it (inner). */
    private record Around(int outer, int n, int inner) {
        static Around of(int[] s, int axis) {
            int outer = 1, inner = 1;
            for (int i = 0; i < axis; i++) outer *= s[i];
            for (int i = axis + 1; i < s.length; i++) inner *= s[i];
            return new Around(outer, s[axis], inner);
        }
    }

    static int[] dropAxis(int[] s, int axis, boolean keep) {
        if (keep) {
            int[] k = s.clone();
            k[axis] = 1;
            return k;
        }
        int[] o = new int[s.length - 1];
        for (int i = 0, j = 0; i < s.length; i++) if (i != axis) o[j++] = s[i];
        return o;
    }

    /** Sum along one axis (double accumulation, one rounding). */
    static Tensor sum(Tensor x, int axis, boolean keep) {
        int[] s = x.shape();
        Around a = Around.of(s, axis);
        float[] xd = x.data();
        float[] o = new float[a.outer() * a.inner()];
        for (int p = 0; p < a.outer(); p++) {
            for (int q = 0; q < a.inner(); q++) {
                double acc = 0;
                for (int i = 0; i < a.n(); i++) acc += xd[(p * a.n() + i) * a.inner() + q];
                o[p * a.inner() + q] = (float) acc;
            }
        }
        Tensor out = Tensor.of(o, dropAxis(s, axis, keep));
        Autograd.record(out, g -> {
            float[] gd = g.data(), gx = new float[xd.length];
            for (int p = 0; p < a.outer(); p++) for (int i = 0; i < a.n(); i++) for (int q = 0; q < a.inner(); q++) {
                gx[(p * a.n() + i) * a.inner() + q] = gd[p * a.inner() + q];
            }
            Autograd.accumulate(x, Tensor.of(gx, s));
        }, x);
        return out;
    }

    /** Positions of the largest (or smallest) element along an axis; ties go to the first. */
    static int[] argExtreme(Tensor x, int axis, boolean max) {
        int[] s = x.shape();
        Around a = Around.of(s, axis);
        float[] xd = x.data();
        int[] best = new int[a.outer() * a.inner()];
        for (int p = 0; p < a.outer(); p++) {
            for (int q = 0; q < a.inner(); q++) {
                int bi = 0;
                float bv = xd[p * a.n() * a.inner() + q];
                for (int i = 1; i < a.n(); i++) {
                    float v = xd[(p * a.n() + i) * a.inner() + q];
                    if (max ? v > bv || (Float.isNaN(v) && !Float.isNaN(bv)) : v < bv || (Float.isNaN(v) && !Float.isNaN(bv))) {
                        bv = v;
                        bi = i;
                    }
                }
                best[p * a.inner() + q] = bi;
            }
        }
        return best;
    }

    /** max/min along an axis: a gather at the arg position (so the gradient goes there). */
    static Tensor extreme(Tensor x, int axis, boolean keep, boolean max) {
        int[] s = x.shape();
        Around a = Around.of(s, axis);
        int[] arg = argExtreme(x, axis, max);
        int[] map = new int[arg.length];
        for (int p = 0; p < a.outer(); p++) for (int q = 0; q < a.inner(); q++) {
            map[p * a.inner() + q] = (p * a.n() + arg[p * a.inner() + q]) * a.inner() + q;
        }
        return gather(x, map, dropAxis(s, axis, keep));
    }

    static Tensor argmax(Tensor x, int axis, boolean keep) {
        int[] arg = argExtreme(x, axis, true);
        float[] o = new float[arg.length];
        for (int i = 0; i < o.length; i++) o[i] = arg[i];
        return Tensor.of(o, dropAxis(x.shape(), axis, keep));
    }

    /** Moves {@code axis} to the end (a differentiable transpose), or back with {@code inverse}. */
    static Tensor moveAxisLast(Tensor x, int axis, boolean inverse) {
        int r = x.rank();
        if (axis == r - 1) return x;
        int[] perm = new int[r];
        for (int i = 0, j = 0; i < r; i++) if (i != axis) perm[j++] = i;
        perm[r - 1] = axis;
        if (inverse) {
            int[] inv = new int[r];
            for (int i = 0; i < r; i++) inv[perm[i]] = i;
            perm = inv;
        }
        return transpose(x, perm);
    }

    static int[] permuted(int[] s, int[] perm) {
        int[] o = new int[perm.length];
        for (int i = 0; i < perm.length; i++) o[i] = s[perm[i]];
        return o;
    }

    static Tensor transpose(Tensor x, int[] perm) {
        int[] s = x.shape();
        int[] out = permuted(s, perm);
        int[] strides = new int[s.length];
        for (int d = s.length - 1, st = 1; d >= 0; st *= s[d], d--) strides[d] = st;
        int[] map = new int[x.numel()];
        // walk the output row-major; input offset from permuted strides
        int[] idx = new int[out.length];
        for (int i = 0; i < map.length; i++) {
            int off = 0;
            for (int d = 0; d < out.length; d++) off += idx[d] * strides[perm[d]];
            map[i] = off;
            for (int d = out.length - 1; d >= 0; d--) {
                if (++idx[d] < out[d]) break;
                idx[d] = 0;
            }
        }
        return gather(x, map, out);
    }

    /** Softmax along an axis, through the model's own softmax kernel. */
    static Tensor softmax(Tensor x, int axis) {
        return moveAxisLast(Ops.softmax(moveAxisLast(x, axis, false)), axis, true);
    }

    /** log-softmax along the last axis: x - max - log Σ exp(x - max), in double per row. */
    static Tensor logSoftmax(Tensor x, int axis) {
        Tensor m = moveAxisLast(x, axis, false);
        int n = m.size(-1), rows = m.numel() / Math.max(1, n);
        float[] xd = m.data(), o = new float[xd.length];
        for (int r = 0; r < rows; r++) {
            double mx = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) mx = Math.max(mx, xd[r * n + i]);
            double z = 0;
            for (int i = 0; i < n; i++) z += Math.exp(xd[r * n + i] - mx);
            double lz = mx + Math.log(z);
            for (int i = 0; i < n; i++) o[r * n + i] = (float) (xd[r * n + i] - lz);
        }
        Tensor out = Tensor.of(o, m.shape());
        Autograd.record(out, g -> {
            float[] gd = g.data(), gx = new float[o.length];
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int i = 0; i < n; i++) s += gd[r * n + i];
                for (int i = 0; i < n; i++) gx[r * n + i] = (float) (gd[r * n + i] - Math.exp(o[r * n + i]) * s);
            }
            Autograd.accumulate(m, Tensor.of(gx, m.shape()));
        }, m);
        return moveAxisLast(out, axis, true);
    }

    /** The k largest along the last axis, in descending order (ties: lower index first): gather map and indices. */
    static int[] topkMap(Tensor x, int k) {
        int n = x.size(-1), rows = x.numel() / Math.max(1, n);
        float[] xd = x.data();
        int[] map = new int[rows * k];
        Integer[] order = new Integer[n];
        for (int r = 0; r < rows; r++) {
            int base = r * n;
            for (int i = 0; i < n; i++) order[i] = i;
            Arrays.sort(order, (p, q) -> {
                int c = Float.compare(xd[base + q], xd[base + p]);
                return c != 0 ? c : Integer.compare(p, q);
            });
            for (int i = 0; i < k; i++) map[r * k + i] = base + order[i];
        }
        return map;
    }

    /** Matrix product over the last two axes, batch axes broadcast (both at least 2-D here). */
    static Tensor matmul(Tensor a, Tensor b) {
        int[] as = a.shape(), bs = b.shape();
        int m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
        int[] batch = Indexing.broadcast(Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2));
        int[] fa = concat(batch, m, k), fb = concat(batch, k, n);
        Tensor x = broadcastTo(a, fa), y = broadcastTo(b, fb);
        int nb = (int) Tensor.numel(batch);
        float[] o = matmulRaw(x.data(), y.data(), nb, m, k, n, false, false);
        Tensor out = Tensor.of(o, concat(batch, m, n));
        Autograd.record(out, g -> {
            if (x.tracked()) Autograd.accumulate(x, Tensor.of(matmulRaw(g.data(), y.data(), nb, m, n, k, false, true), fa));
            if (y.tracked()) Autograd.accumulate(y, Tensor.of(matmulRaw(x.data(), g.data(), nb, k, m, n, true, false), fb));
        }, x, y);
        return out;
    }

    /** Batched C[m, n] = A[m, k] B[k, n] with optional transposes of the stored A or B, accumulating in double. */
    private static float[] matmulRaw(float[] a, float[] b, int nb, int m, int k, int n, boolean ta, boolean tb) {
        float[] c = new float[nb * m * n];
        for (int t = 0; t < nb; t++) {
            int ao = t * m * k, bo = t * k * n, co = t * m * n;
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    float av = ta ? a[ao + p * m + i] : a[ao + i * k + p];
                    float bv = tb ? b[bo + j * k + p] : b[bo + p * n + j];
                    s += (double) av * bv;
                }
                c[co + i * n + j] = (float) s;
            }
        }
        return c;
    }

    static int[] concat(int[] lead, int... tail) {
        int[] o = Arrays.copyOf(lead, lead.length + tail.length);
        System.arraycopy(tail, 0, o, lead.length, tail.length);
        return o;
    }

    /** Einstein summation over explicit subscripts (e.g. "bpd,d->bp"), accumulating in double; no gradient. */
    static Tensor einsum(Einsum e, Tensor[] xs) {
        int[] sizes = e.sizes();
        int letters = sizes.length;
        float[] o = new float[(int) e.outNumel()];
        double[] acc = new double[o.length];
        int[] idx = new int[letters];
        int[][] strides = new int[xs.length][];
        for (int t = 0; t < xs.length; t++) strides[t] = e.strides(t);
        int[] outStrides = e.outStrides();
        long total = 1;
        for (int s : sizes) total *= s;
        for (long it = 0; it < total; it++) {
            double p = 1;
            for (int t = 0; t < xs.length; t++) {
                int off = 0;
                for (int l = 0; l < letters; l++) off += idx[l] * strides[t][l];
                p *= xs[t].data()[off];
            }
            int oo = 0;
            for (int l = 0; l < letters; l++) oo += idx[l] * outStrides[l];
            acc[oo] += p;
            for (int l = letters - 1; l >= 0; l--) {
                if (++idx[l] < sizes[l]) break;
                idx[l] = 0;
            }
        }
        for (int i = 0; i < o.length; i++) o[i] = (float) acc[i];
        return Tensor.of(o, e.outShape());
    }

    /** Concatenation along an axis: puts each input into place (differentiable through {@link #put}). */
    static Tensor cat(Tensor[] xs, int axis) {
        int[] s = xs[0].shape();
        int total = 0;
        for (Tensor t : xs) total += t.size(axis);
        s[axis] = total;
        Tensor out = Tensor.zeros(s);
        int at = 0;
        for (Tensor t : xs) {
            int[][] picks = new int[s.length][];
            for (int d = 0; d < s.length; d++) {
                picks[d] = new int[t.size(d)];
                for (int i = 0; i < picks[d].length; i++) picks[d][i] = d == axis ? at + i : i;
            }
            out = put(out, Indexing.offsets(picks, s), t);
            at += t.size(axis);
        }
        return out;
    }
}
