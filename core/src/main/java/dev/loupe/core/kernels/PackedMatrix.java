package dev.loupe.core.kernels;

import dev.loupe.core.Parallel;

/**
 * A weight packed once into the exact panel layout the {@link Sgemm} micro-kernel reads, so linear layers
 * skip packing B on every call and every row of a product is summed in one fixed order whatever the
 * number of rows (see {@link Sgemm#gemmPacked}).
 *
 * <p>Holds op(B) = W^T, a [k, n] matrix, for a weight W stored [n, k] (PyTorch's Linear layout), cut into
 * column panels of {@link Sgemm#NR}: panel q holds columns [q NR, (q + 1) NR) for every depth p,
 * depth-major, at {@code panels[q * k * NR + p * NR + j % NR]}; the last panel is zero-padded. A
 * {@link Sgemm#KC}-deep block of a panel is therefore one contiguous run. Immutable once built.
 */
public final class PackedMatrix {
    private final int k, n;
    private final float[] panels;

    private PackedMatrix(int k, int n, float[] panels) {
        this.k = k;
        this.n = n;
        this.panels = panels;
    }

    /** Packs the transpose of {@code w} [n, k] (row-major, from offset 0). */
    public static PackedMatrix transposeOf(float[] w, int n, int k) {
        if ((long) n * k > w.length) {
            throw new IllegalArgumentException("packing a [" + n + ", " + k + "] weight from " + w.length + " floats");
        }
        int count = (n + Sgemm.NR - 1) / Sgemm.NR;
        long size = (long) count * Sgemm.NR * k;
        if (size > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("weight [" + n + ", " + k + "] is too large to pack");
        float[] panels = new float[(int) size];
        Parallel.forRange(count, 1, (q0, q1) -> {
            int j0 = q0 * Sgemm.NR, j1 = Math.min(n, q1 * Sgemm.NR);
            Sgemm.pack(w, j0 * k, k, 1, j1 - j0, k, Sgemm.NR, panels, j0 * k);
        });
        return new PackedMatrix(k, n, panels);
    }

    /** Depth: rows of op(B), the contraction size. */
    public int k() {
        return k;
    }

    /** Columns of op(B): the product's output width. */
    public int n() {
        return n;
    }

    float[] panels() {
        return panels;
    }

    /** Offset of depth p in the panel holding column j (a multiple of NR). */
    int offset(int j, int p) {
        return j * k + p * Sgemm.NR;
    }

    /** Bytes held by the packed panels. */
    public long bytes() {
        return 4L * panels.length;
    }
}
