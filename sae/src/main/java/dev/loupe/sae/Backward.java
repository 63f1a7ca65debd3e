package dev.loupe.sae;

import dev.loupe.core.Parallel;

/**
 * The sparse gradient kernel shared by encoder and decoder: for every active (row r, latent j) with scalar
 * s, adds s · v_r to gradient row j (and s to bias j). Codes are regrouped by latent first (a counting
 * sort), so threads own disjoint latents and each row's terms are added in token order: no atomics, and
 * bit-reproducible sums. Only rows of active latents are touched.
 */
final class Backward {
    private Backward() {}

    static void accumulate(SparseCodes codes, float[] scalars, float[] rowVectors, int d, float[] gradRows, float[] gradBias) {
        accumulate(codes, scalars, rowVectors, 0, d, d, gradRows, gradBias);
    }

    /** As above with row r's vector at {@code offset + r·stride} in {@code rowVectors} (a slice of wider rows). */
    static void accumulate(SparseCodes codes, float[] scalars, float[] rowVectors, int offset, int stride, int d, float[] gradRows, float[] gradBias) {
        int n = codes.dSae(), nnz = codes.nnz();
        int[] idx = codes.index(), rs = codes.rowStart();
        int[] start = new int[n + 1];
        for (int c = 0; c < nnz; c++) start[idx[c] + 1]++;
        for (int j = 0; j < n; j++) start[j + 1] += start[j];
        int[] fill = start.clone();
        int[] byLatentRow = new int[nnz];
        float[] byLatentScalar = new float[nnz];
        for (int r = 0; r < codes.rows(); r++) {
            for (int c = rs[r]; c < rs[r + 1]; c++) {
                int p = fill[idx[c]]++;
                byLatentRow[p] = r;
                byLatentScalar[p] = scalars[c];
            }
        }
        Parallel.forRange(n, 64, (a, b) -> {
            for (int j = a; j < b; j++) {
                for (int p = start[j]; p < start[j + 1]; p++) {
                    float s = byLatentScalar[p];
                    Vec.axpy(s, rowVectors, offset + byLatentRow[p] * stride, gradRows, j * d, d);
                    if (gradBias != null) gradBias[j] += s;
                }
            }
        });
    }
}
