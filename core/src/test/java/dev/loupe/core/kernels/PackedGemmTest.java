package dev.loupe.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Sgemm#gemmPacked} is batch invariant: a row of A gives the same bits alone and inside products of
 * any number of rows (which take different split and blocking paths), and it agrees with the unpacked
 * {@link Sgemm#sgemm} within SgemmTest's tolerance.
 */
class PackedGemmTest {
    private static final int[] ROW_COUNTS = {1, 2, 5, 7, 8, 9, 13, 64, 200};
    private static final int MAX_ROWS = 200;

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        int[][] fixed = {{1, 1}, {64, 64}, {65, 257}, {2100, 20}, {40, 600}, {300, 768}, {130, 513}, {7, 3}, {1000, 300}, {1400, 300}};
        for (int[] s : fixed) out.add(Arguments.of(s[0], s[1], 31L * s[0] + s[1]));
        Random r = new Random(7);
        for (int i = 0; i < 12; i++) out.add(Arguments.of(1 + r.nextInt(700), 1 + r.nextInt(900), (long) i));
        return out.stream();
    }

    @ParameterizedTest(name = "n={0} k={1}")
    @MethodSource("shapes")
    void everyRowIsIndependentOfTheOtherRows(int n, int k, long seed) {
        Random r = new Random(seed);
        int lda = k + r.nextInt(3), aOff = r.nextInt(4);
        float[] a = random(r, aOff + MAX_ROWS * lda);
        float[] w = random(r, n * k);
        float[] bias = r.nextBoolean() ? random(r, n) : null;
        PackedMatrix packed = PackedMatrix.transposeOf(w, n, k);

        float[][] alone = new float[MAX_ROWS][];
        for (int i = 0; i < MAX_ROWS; i++) alone[i] = product(a, aOff + i * lda, lda, 1, packed, bias);
        checkAgainstUnpacked(a, aOff, lda, w, n, k, bias, alone);
        for (int m : ROW_COUNTS) {
            int first = r.nextInt(MAX_ROWS - m + 1);
            float[] c = product(a, aOff + first * lda, lda, m, packed, bias);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    if (Float.floatToRawIntBits(c[i * n + j]) != Float.floatToRawIntBits(alone[first + i][j])) {
                        fail(String.format("n=%d k=%d: row %d inside %d rows gives C[%d]=%s but alone %s",
                                n, k, first + i, m, j, c[i * n + j], alone[first + i][j]));
                    }
                }
            }
        }
    }

    @Test
    void linearRowsMatchAloneAndRepackAfterAnInPlaceWrite() {
        Random r = new Random(3);
        Tensor w = Tensor.of(random(r, 96 * 80), 96, 80);
        Tensor b = Tensor.of(random(r, 96), 96);
        Tensor x = Tensor.of(random(r, 9 * 80), 9, 80);
        Tensor all = Ops.linear(x, w, b);
        for (int i = 0; i < 9; i++) {
            Tensor row = Ops.linear(Tensor.of(java.util.Arrays.copyOfRange(x.data(), i * 80, (i + 1) * 80), 1, 80), w, b);
            for (int j = 0; j < 96; j++) assertEquals(all.get(i, j), row.get(0, j), "row " + i + " column " + j);
        }
        w.data()[5] += 1f; // column 0 of w^T, depth 5
        w.markModified();
        float want = all.get(0, 0) + x.get(0, 5);
        assertEquals(want, Ops.linear(x, w, b).get(0, 0), 1e-5f);
    }

    private static float[] product(float[] a, int aOff, int lda, int m, PackedMatrix b, float[] bias) {
        float[] c = new float[m * b.n()];
        java.util.Arrays.fill(c, Float.NaN);
        Sgemm.gemmPacked(m, a, aOff, lda, b, bias, c, 0, b.n());
        return c;
    }

    private static void checkAgainstUnpacked(float[] a, int aOff, int lda, float[] w, int n, int k, float[] bias, float[][] rows) {
        int m = rows.length;
        float[] c = new float[m * n];
        if (bias != null) for (int i = 0; i < m; i++) System.arraycopy(bias, 0, c, i * n, n);
        Sgemm.sgemm(false, true, m, n, k, 1f, a, aOff, lda, w, 0, k, bias == null ? 0f : 1f, c, 0, n);
        double tol = 2e-5 * (k + 1) + 1e-6;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                if (!(Math.abs(c[i * n + j] - rows[i][j]) <= tol)) {
                    fail(String.format("n=%d k=%d: packed C[%d,%d]=%g, unpacked %g", n, k, i, j, rows[i][j], c[i * n + j]));
                }
            }
        }
    }

    private static float[] random(Random r, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = r.nextFloat() * 2 - 1;
        return x;
    }
}
