package dev.loupe.sae;

import dev.loupe.core.Parallel;
import java.util.Arrays;

/**
 * The active latents of a batch in compressed-row form: row r's latents are
 * {@code index[rowStart[r] .. rowStart[r+1])} with activations {@code value[...]}, in increasing
 * latent order. Every SAE kernel works on this form, so decode and backward touch only active
 * decoder rows (k per token for TopK) instead of all d_sae.
 */
public record SparseCodes(int rows, int dSae, int[] rowStart, int[] index, float[] value) {

    /** Number of active (row, latent) pairs. */
    public int nnz() {
        return rowStart[rows];
    }

    /** Dense [rows, d_sae] activations. */
    public float[] dense() {
        float[] out = new float[rows * dSae];
        for (int r = 0; r < rows; r++) {
            for (int c = rowStart[r]; c < rowStart[r + 1]; c++) out[r * dSae + index[c]] = value[c];
        }
        return out;
    }

    /** Sparse form of dense [rows, d_sae] activations (zeros dropped, negative values kept). */
    public static SparseCodes fromDense(float[] dense, int rows, int dSae) {
        return select(dense, rows, dSae, null, null, true);
    }

    /** Latent j of row r kept when pre[r, j] > threshold[j] (a null threshold means 0: ReLU). */
    public static SparseCodes above(float[] pre, int rows, int dSae, float[] threshold) {
        float[] lower = threshold == null ? new float[dSae] : threshold;
        float[] upper = new float[dSae];
        Arrays.fill(upper, Float.POSITIVE_INFINITY);
        return select(pre, rows, dSae, lower, upper, false);
    }

    /** Latent j of row r kept when |pre[r, j] - center[j]| < halfWidth (JumpReLU's kernel band). */
    public static SparseCodes band(float[] pre, int rows, int dSae, float[] center, float halfWidth) {
        float[] lower = new float[dSae], upper = new float[dSae];
        for (int j = 0; j < dSae; j++) {
            lower[j] = center[j] - halfWidth;
            upper[j] = center[j] + halfWidth;
        }
        return select(pre, rows, dSae, lower, upper, false);
    }

    /** Two passes over rows in parallel, count then fill: keeps lower[j] < v < upper[j], or v != 0 when {@code nonZero}. */
    private static SparseCodes select(float[] pre, int rows, int dSae, float[] lower, float[] upper, boolean nonZero) {
        int[] counts = new int[rows + 1];
        Parallel.forRange(rows, 16, (a, b) -> {
            for (int r = a; r < b; r++) {
                int o = r * dSae, n = 0;
                for (int j = 0; j < dSae; j++) if (nonZero ? pre[o + j] != 0 : pre[o + j] > lower[j] && pre[o + j] < upper[j]) n++;
                counts[r + 1] = n;
            }
        });
        for (int r = 0; r < rows; r++) counts[r + 1] += counts[r];
        int[] index = new int[counts[rows]];
        float[] value = new float[counts[rows]];
        Parallel.forRange(rows, 16, (a, b) -> {
            for (int r = a; r < b; r++) {
                int o = r * dSae, c = counts[r];
                for (int j = 0; j < dSae; j++) {
                    float v = pre[o + j];
                    if (nonZero ? v != 0 : v > lower[j] && v < upper[j]) {
                        index[c] = j;
                        value[c++] = v;
                    }
                }
            }
        });
        return new SparseCodes(rows, dSae, counts, index, value);
    }

    /**
     * The {@code k} largest positive entries of each row (TopK: ReLU after the top-k selection, so a row may keep
     * fewer than k). {@code allowed}, when non-null, restricts the candidates (AuxK: dead latents only).
     */
    public static SparseCodes topK(float[] pre, int rows, int dSae, int k, boolean[] allowed) {
        int[] rowStart = new int[rows + 1];
        int[] index = new int[rows * k];
        float[] value = new float[rows * k];
        int[] counts = new int[rows];
        Parallel.forRange(rows, 8, (a, b) -> {
            TopK heap = new TopK(k);
            for (int r = a; r < b; r++) counts[r] = heap.select(pre, r * dSae, dSae, allowed, index, value, r * k);
        });
        // compact rows that kept fewer than k
        int c = 0;
        for (int r = 0; r < rows; r++) {
            int from = r * k, n = counts[r];
            if (c != from) {
                System.arraycopy(index, from, index, c, n);
                System.arraycopy(value, from, value, c, n);
            }
            c += n;
            rowStart[r + 1] = c;
        }
        return new SparseCodes(rows, dSae, rowStart, c == index.length ? index : Arrays.copyOf(index, c),
                c == value.length ? value : Arrays.copyOf(value, c));
    }

    /** Active count per row. */
    public int count(int row) {
        return rowStart[row + 1] - rowStart[row];
    }
}
