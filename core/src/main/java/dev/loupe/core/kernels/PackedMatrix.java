package dev.loupe.core.kernels;

import dev.loupe.core.Parallel;
import java.util.List;

/**
 * A linear weight packed once into the exact panel layout the {@link Sgemm} micro-kernel reads, so linear
 * layers skip packing B on every call and every row of a product is summed in one fixed order whatever the
 * number of rows (see {@link Sgemm#gemmPacked}). It is the one resident copy of a loaded weight: the forward
 * product, the backward product ({@link Sgemm#gemmPackedTransposed}) and the embedding lookup
 * ({@link #row}) all read it.
 *
 * <p>Holds op(B) = W^T, a [k, n] matrix, for a weight W [n, k] (PyTorch's Linear layout), cut into column
 * panels of {@link Sgemm#NR}: panel q holds columns [q NR, (q + 1) NR) for every depth p, depth-major, at
 * element {@code q * k * NR + p * NR + j % NR}; the last panel is zero-padded. A {@link Sgemm#KC}-deep block
 * of a panel is therefore one contiguous run. Elements are float32, or 16-bit (bfloat16 or IEEE half) kept
 * as stored and widened to float32 in registers by the kernels, which accumulate in float32.
 * Immutable once built.
 */
public final class PackedMatrix {
    /** How the elements are held. */
    public enum Precision {
        F32(4), BF16(2), F16(2);

        private final int bytes;

        Precision(int bytes) {
            this.bytes = bytes;
        }

        /** Bytes per element. */
        public int bytes() {
            return bytes;
        }
    }

    private static final int NR = Sgemm.NR;
    private final int k, n;
    private final Precision precision;
    private final float[] panels; // F32
    private final short[] halves; // BF16, F16

    private PackedMatrix(int k, int n, Precision precision, float[] panels, short[] halves) {
        this.k = k;
        this.n = n;
        this.precision = precision;
        this.panels = panels;
        this.halves = halves;
    }

    /** Packs the transpose of {@code w} [n, k] (row-major, from offset 0). */
    public static PackedMatrix transposeOf(float[] w, int n, int k) {
        requireFits(w.length, n, k);
        float[] panels = new float[size(n, k)];
        Parallel.forRange(panelCount(n), 1, (q0, q1) -> {
            int j0 = q0 * NR, j1 = Math.min(n, q1 * NR);
            Sgemm.pack(w, j0 * k, k, 1, j1 - j0, k, NR, panels, j0 * k);
        });
        return new PackedMatrix(k, n, Precision.F32, panels, null);
    }

    /** Packs {@code wt} [k, n], a weight already stored transposed (GPT-2's Conv1D). */
    public static PackedMatrix of(float[] wt, int k, int n) {
        requireFits(wt.length, n, k);
        return read(n, k, true, Precision.F32, arrays(wt, null));
    }

    /** Packs the transpose of {@code w} [n, k] of 16-bit values ({@code precision} BF16 or F16), keeping them 16-bit. */
    public static PackedMatrix transposeOf(short[] w, int n, int k, Precision precision) {
        if (precision == Precision.F32) throw new IllegalArgumentException("16-bit values cannot be packed as " + precision);
        requireFits(w.length, n, k);
        return read(n, k, false, precision, arrays(null, w));
    }

    private static Stored arrays(float[] f, short[] h) {
        return new Stored() {
            @Override
            public void floats(long from, int count, float[] dst) {
                System.arraycopy(f, (int) from, dst, 0, count);
            }

            @Override
            public void halves(long from, int count, short[] dst) {
                System.arraycopy(h, (int) from, dst, 0, count);
            }
        };
    }

    private static void requireFits(int length, int n, int k) {
        if ((long) n * k > length) throw new IllegalArgumentException("packing a [" + n + ", " + k + "] weight from " + length + " values");
    }

    private static int panelCount(int n) {
        return (n + NR - 1) / NR;
    }

    private static int size(int n, int k) {
        long size = (long) panelCount(n) * NR * k;
        if (size > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("weight [" + n + ", " + k + "] is too large to pack");
        return (int) size;
    }

    /**
     * Elements of a stored matrix read a stretch at a time (from a mapped file), so packing never holds a
     * second full copy of a weight: {@code from} and {@code count} count elements of the stored row-major matrix.
     */
    public interface Stored {
        /** Stored elements [from, from + count), as float32, into {@code dst[0..count)}. */
        void floats(long from, int count, float[] dst);

        /** Stored 16-bit elements [from, from + count), as stored, into {@code dst[0..count)}. */
        void halves(long from, int count, short[] dst);
    }

    /** Elements per read while packing from a {@link Stored} matrix. */
    private static final int READ_CHUNK = 1 << 20;

    /**
     * Packs a weight W [n, k] read from {@code src}, which stores W [n, k] row-major or, when
     * {@code transposed}, W^T [k, n] (GPT-2's Conv1D); a stretch of rows at a time, in {@code precision}
     * (16-bit values are read as stored, float32 through {@link Stored#floats}).
     */
    public static PackedMatrix read(int n, int k, boolean transposed, Precision precision, Stored src) {
        PackedMatrix out = empty(k, n, precision);
        if (!transposed) { // one panel's NR rows of W per read, panels shared between the cores
            Parallel.forRange(panelCount(n), 1, (q0, q1) -> {
                float[] f = precision == Precision.F32 ? new float[NR * k] : null;
                short[] h = f == null ? new short[NR * k] : null;
                for (int q = q0; q < q1; q++) {
                    int j0 = q * NR, rows = Math.min(NR, n - j0);
                    if (f != null) {
                        src.floats((long) j0 * k, rows * k, f);
                        Sgemm.pack(f, 0, k, 1, rows, k, NR, out.panels, j0 * k);
                    } else {
                        src.halves((long) j0 * k, rows * k, h);
                        for (int p = 0; p < k; p++) {
                            int row = j0 * k + p * NR;
                            for (int c = 0; c < rows; c++) out.halves[row + c] = h[c * k + p];
                        }
                    }
                }
            });
            return out;
        }
        int depthRows = Math.max(1, READ_CHUNK / Math.max(1, n)); // rows of W^T (depths) per read
        float[] f = precision == Precision.F32 ? new float[Math.min(k, depthRows) * n] : null;
        short[] h = f == null ? new short[Math.min(k, depthRows) * n] : null;
        for (int p0 = 0; p0 < k; p0 += depthRows) {
            int p1 = Math.min(k, p0 + depthRows), len = (p1 - p0) * n;
            if (f != null) src.floats((long) p0 * n, len, f);
            else src.halves((long) p0 * n, len, h);
            for (int p = p0; p < p1; p++) {
                for (int q = 0; q * NR < n; q++) {
                    int j0 = q * NR, w = Math.min(NR, n - j0), d = j0 * k + p * NR, s = (p - p0) * n + j0;
                    if (f != null) System.arraycopy(f, s, out.panels, d, w);
                    else System.arraycopy(h, s, out.halves, d, w);
                }
            }
        }
        return out;
    }

    /**
     * The weights of {@code parts} (all of depth k and one precision) stacked row-wise: W = [W_0; W_1; ...],
     * e.g. query, key and value projections fused into one.
     */
    public static PackedMatrix stack(List<PackedMatrix> parts) {
        PackedMatrix first = parts.getFirst();
        int rows = 0;
        for (PackedMatrix p : parts) {
            if (p.k != first.k || p.precision != first.precision) {
                throw new IllegalArgumentException("cannot stack weights of depth/precision " + first.k + "/" + first.precision
                        + " and " + p.k + "/" + p.precision);
            }
            rows += p.n;
        }
        PackedMatrix out = empty(first.k, rows, first.precision);
        int j = 0;
        for (PackedMatrix p : parts) {
            for (int c = 0; c < p.n; c++) out.copyColumn(j++, p, c);
        }
        return out;
    }

    /** W with its rows reordered: row i of the result is row {@code order[i]} of W. */
    public PackedMatrix permuteRows(int[] order) {
        if (order.length != n) throw new IllegalArgumentException("a permutation of " + n + " rows has " + order.length + " entries");
        PackedMatrix out = empty(k, n, precision);
        for (int i = 0; i < n; i++) out.copyColumn(i, this, order[i]);
        return out;
    }

    private static PackedMatrix empty(int k, int n, Precision precision) {
        return precision == Precision.F32
                ? new PackedMatrix(k, n, precision, new float[size(n, k)], null)
                : new PackedMatrix(k, n, precision, null, new short[size(n, k)]);
    }

    /** Column j of this op(B) := column c of {@code src} (same depth and precision); only for building. */
    private void copyColumn(int j, PackedMatrix src, int c) {
        int d = offset(j, 0) + j % NR, s = src.offset(c, 0) + c % NR;
        for (int p = 0; p < k; p++, d += NR, s += NR) {
            if (panels != null) panels[d] = src.panels[s];
            else halves[d] = src.halves[s];
        }
    }

    /** Depth: rows of op(B), the contraction size (the weight's input width). */
    public int k() {
        return k;
    }

    /** Columns of op(B): the product's output width (the weight's output rows). */
    public int n() {
        return n;
    }

    public Precision precision() {
        return precision;
    }

    float[] panels() {
        return panels;
    }

    short[] halves() {
        return halves;
    }

    /** Offset of depth p in the panel holding column j (a multiple of NR). */
    int offset(int j, int p) {
        return j / NR * NR * k + p * NR;
    }

    /** Row {@code j} of W (column j of op(B)), widened to float32 into {@code dst[off..off + k)}: an embedding lookup. */
    public void row(int j, float[] dst, int off) {
        if (j < 0 || j >= n) throw new IndexOutOfBoundsException("row " + j + " of a weight with " + n + " rows");
        int s = offset(j, 0) + j % NR;
        switch (precision) {
            case F32 -> {
                for (int p = 0; p < k; p++, s += NR) dst[off + p] = panels[s];
            }
            case BF16 -> {
                for (int p = 0; p < k; p++, s += NR) dst[off + p] = Float.intBitsToFloat(halves[s] << 16);
            }
            case F16 -> {
                for (int p = 0; p < k; p++, s += NR) dst[off + p] = Float.float16ToFloat(halves[s]);
            }
        }
    }

    /**
     * Widens the {@code kc}-deep block at depth {@code p} of the IEEE-half panel holding column {@code j} into
     * {@code dst[off .. off + kc * NR)}, in the panel's own layout, for the float32 micro-kernels.
     */
    void widen(int j, int p, int kc, float[] dst, int off) {
        int s = offset(j, p), len = kc * NR;
        for (int i = 0; i < len; i++) dst[off + i] = Float.float16ToFloat(halves[s + i]);
    }

    /** W [n, k] row-major, widened to float32: a fresh copy. */
    public float[] unpack() {
        float[] w = new float[Math.multiplyExact(n, k)];
        unpackRows(0, n, w);
        return w;
    }

    /** Rows [j0, j1) of W, widened to float32, into {@code dst} [(j1 - j0), k] row-major. */
    void unpackRows(int j0, int j1, float[] dst) {
        Parallel.forRange(j1 - j0, 1, (lo, hi) -> {
            for (int j = j0 + lo; j < j0 + hi; j++) row(j, dst, (j - j0) * k);
        });
    }

    /** Bytes held by the packed panels. */
    public long bytes() {
        return (long) precision.bytes() * (panels != null ? panels.length : halves.length);
    }
}
