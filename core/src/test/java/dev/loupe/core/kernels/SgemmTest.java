package dev.loupe.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Checks {@link Sgemm} against a double-precision reference. Inputs are uniform in [-1, 1), so each
 * output is a sum of k products of magnitude at most 1; float32 accumulation then errs by at most a
 * few ulps times k (in practice ~sqrt(k)), and we require |got - want| <= 1e-5 * (k + 1) * scale + 1e-6,
 * where scale = |alpha| + |beta| bounds the magnitude of the terms.
 */
class SgemmTest {
    private static final int[] SIZES = {1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33, 47, 64, 65, 100};

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        int[][] fixed = {
                {17, 33, 65}, {1, 1, 1}, {1, 300, 70}, {3, 129, 257}, {4, 200, 33}, {5, 70, 9},
                {300, 3, 40}, {2, 1000, 3}, {513, 37, 300}, {40, 600, 1}, {129, 130, 700}, {8, 64, 64},
                {200, 2100, 20}, {130, 70, 0}
        };
        for (int[] s : fixed) out.add(Arguments.of(s[0], s[1], s[2], 11L * s[0] + 7L * s[1] + s[2]));
        Random r = new Random(42);
        for (int i = 0; i < 40; i++) {
            out.add(Arguments.of(SIZES[r.nextInt(SIZES.length)], SIZES[r.nextInt(SIZES.length)],
                    SIZES[r.nextInt(SIZES.length)], (long) i));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @MethodSource("shapes")
    void matchesReferenceForAllTransposesAndScalings(int m, int n, int k, long seed) {
        Random r = new Random(seed);
        float[][] scalings = {{1f, 0f}, {-0.75f, 0.5f}, {2f, 1f}};
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (float[] ab : scalings) {
                    check(r, ta, tb, m, n, k, ab[0], ab[1]);
                }
            }
        }
    }

    @Test
    void zeroAlphaOnlyScalesC() {
        Random r = new Random(1);
        check(r, false, true, 9, 11, 13, 0f, 0.5f);
        check(r, true, false, 2, 40, 13, 0f, 0f);
    }

    @Test
    void emptyOutputIsANoOp() {
        float[] c = {5f};
        Sgemm.sgemm(false, false, 0, 1, 3, 1f, new float[3], 0, 3, new float[3], 0, 1, 0f, c, 0, 1);
        Sgemm.sgemm(false, false, 1, 0, 3, 1f, new float[3], 0, 3, new float[3], 0, 1, 0f, c, 0, 1);
        assertEquals(5f, c[0]);
    }

    /** Runs one product with random offsets and padded leading dimensions and compares to the reference. */
    private static void check(Random r, boolean ta, boolean tb, int m, int n, int k, float alpha, float beta) {
        int aRows = ta ? k : m, aCols = ta ? m : k;
        int bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + r.nextInt(3), ldb = bCols + r.nextInt(3), ldc = n + r.nextInt(3);
        int aOff = r.nextInt(5), bOff = r.nextInt(5), cOff = r.nextInt(5);
        float[] a = random(r, aOff + aRows * lda);
        float[] b = random(r, bOff + bRows * ldb);
        float[] c = random(r, cOff + m * ldc + 3);
        if (beta == 0) {
            for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, Float.NaN);
        }
        float[] before = c.clone();
        Sgemm.sgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        double tol = 1e-5 * (k + 1) * (Math.abs(alpha) + Math.abs(beta)) + 1e-6;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += av * bv;
                }
                double want = alpha * s + (beta == 0 ? 0 : beta * (double) before[cOff + i * ldc + j]);
                double got = c[cOff + i * ldc + j];
                if (!(Math.abs(got - want) <= tol)) {
                    fail(String.format("ta=%b tb=%b m=%d n=%d k=%d alpha=%g beta=%g: C[%d,%d]=%g, want %g",
                            ta, tb, m, n, k, alpha, beta, i, j, got, want));
                }
            }
        }
        // Everything outside the m x n window of C (padding, offset, tail) is untouched.
        for (int idx = 0; idx < c.length; idx++) {
            int rel = idx - cOff;
            boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
            if (!inside && Float.floatToRawIntBits(c[idx]) != Float.floatToRawIntBits(before[idx])) {
                fail("wrote outside C at " + idx + " (ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + ")");
            }
        }
    }

    private static float[] random(Random r, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = r.nextFloat() * 2 - 1;
        return x;
    }
}
