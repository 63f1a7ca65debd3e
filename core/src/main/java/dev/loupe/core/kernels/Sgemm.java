package dev.loupe.core.kernels;

import dev.loupe.core.Parallel;

/**
 * Single-precision general matrix multiply, BLAS semantics:
 * {@code C = alpha * op(A) * op(B) + beta * C}, row-major, where op(X) is X or its transpose.
 * Every matrix product in Loupe (linear layers, attention, backward passes) goes through here.
 */
public final class Sgemm {
    private Sgemm() {}

    /**
     * @param transA op(A) = A^T; A is stored [k, m] with leading dimension lda, else [m, k]
     * @param transB op(B) = B^T; B is stored [n, k] with leading dimension ldb, else [k, n]
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        Parallel.forRange(m, 16, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                for (int j = 0; j < n; j++) {
                    float s = 0;
                    for (int p = 0; p < k; p++) {
                        float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                        float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                        s += av * bv;
                    }
                    int ci = cOff + i * ldc + j;
                    c[ci] = alpha * s + (beta == 0 ? 0 : beta * c[ci]);
                }
            }
        });
    }
}
