package dev.loupe.core.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Autograd;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.PackedMatrix.Precision;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * 16-bit packed weights compute exactly what float32 arithmetic on their widened values computes: every
 * product (one row, many rows, the backward product) equals, bit for bit, the float32 packed kernel on the
 * widened weight, and every row stays independent of the other rows (batch invariance).
 */
class HalfPackedMatrixTest {
    private static final int[] ROW_COUNTS = {1, 2, 3, 7, 13, 64, 200};

    @ParameterizedTest(name = "{0} n={1} k={2}")
    @CsvSource({"BF16, 1, 1", "BF16, 64, 64", "BF16, 130, 513", "BF16, 700, 300", "BF16, 1400, 300", "BF16, 2100, 20",
            "F16, 65, 257", "F16, 300, 768", "F16, 7, 3"})
    void productsEqualFloat32OnTheWidenedWeight(Precision precision, int n, int k) {
        Random r = new Random(31L * n + k);
        short[] w = halves(r, n * k, precision);
        PackedMatrix half = PackedMatrix.transposeOf(w, n, k, precision);
        float[] widened = widen(w, precision);
        PackedMatrix wide = PackedMatrix.transposeOf(widened, n, k);
        float[] bias = r.nextBoolean() ? random(r, n) : null;
        int maxRows = 200;
        float[] a = random(r, maxRows * k);
        for (int m : ROW_COUNTS) {
            float[] want = product(a, m, wide, bias), got = product(a, m, half, bias);
            assertArrayEquals(want, got, precision + " n=" + n + " k=" + k + " m=" + m);
            float[] alone = product(Arrays.copyOfRange(a, (m - 1) * k, m * k), 1, half, bias);
            assertArrayEquals(Arrays.copyOfRange(got, (m - 1) * n, m * n), alone, "last row of " + m + " alone");
        }
        assertArrayEquals(widened, half.unpack());
        float[] row = new float[k];
        half.row(n - 1, row, 0);
        assertArrayEquals(Arrays.copyOfRange(widened, (n - 1) * k, n * k), row);
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void backwardThroughThePackedCopyMatchesThePlainWeight(Precision precision) {
        Random r = new Random(5);
        int n = 200, k = 90, rows = 11;
        float[] plain = precision == Precision.F32 ? random(r, n * k) : widen(halves(r, n * k, precision), precision);
        PackedMatrix p = precision == Precision.F32 ? PackedMatrix.transposeOf(plain, n, k)
                : PackedMatrix.transposeOf(toHalves(plain, precision), n, k, precision);
        Tensor packed = Tensor.packed(p);
        Tensor x = Tensor.of(random(r, rows * k), rows, k).requiresGrad(true);
        Tensor y = Ops.linear(x, packed, null);
        Autograd.backward(Ops.sum(Ops.mul(y, y)));
        Tensor x2 = Tensor.of(x.data().clone(), rows, k).requiresGrad(true);
        Tensor w2 = Tensor.of(plain.clone(), n, k).requiresGrad(true);
        Tensor y2 = Ops.linear(x2, w2, null);
        Autograd.backward(Ops.sum(Ops.mul(y2, y2)));
        float[] g = x.grad().data(), g2 = x2.grad().data();
        for (int i = 0; i < g.length; i++) assertEquals(g2[i], g[i], 1e-3f * (1 + Math.abs(g2[i])), "gradient " + i);
        assertFalse(packed.hasData(), "the backward pass read the packed copy, not an unpacked one");
        assertEquals(p.bytes(), packed.residentBytes());
        Tensor e = Ops.embedding(packed, new int[][] {{3, 0, n - 1}});
        assertArrayEquals(Arrays.copyOfRange(plain, 3 * k, 4 * k), Arrays.copyOfRange(e.data(), 0, k));
        assertFalse(packed.hasData());
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void stackingAndPermutingRowsMoveWholeRows(Precision precision) {
        Random r = new Random(9);
        int k = 37;
        int[] heights = {5, 64, 70};
        float[][] parts = new float[heights.length][];
        List<PackedMatrix> packed = new java.util.ArrayList<>();
        for (int i = 0; i < heights.length; i++) {
            parts[i] = precision == Precision.F32 ? random(r, heights[i] * k) : widen(halves(r, heights[i] * k, precision), precision);
            packed.add(precision == Precision.F32 ? PackedMatrix.transposeOf(parts[i], heights[i], k)
                    : PackedMatrix.transposeOf(toHalves(parts[i], precision), heights[i], k, precision));
        }
        PackedMatrix stacked = PackedMatrix.stack(packed);
        float[] want = new float[(5 + 64 + 70) * k];
        System.arraycopy(parts[0], 0, want, 0, 5 * k);
        System.arraycopy(parts[1], 0, want, 5 * k, 64 * k);
        System.arraycopy(parts[2], 0, want, 69 * k, 70 * k);
        assertArrayEquals(want, stacked.unpack());
        int[] order = new int[stacked.n()];
        for (int i = 0; i < order.length; i++) order[i] = order.length - 1 - i;
        float[] reversed = stacked.permuteRows(order).unpack();
        for (int i = 0; i < order.length; i++) {
            assertArrayEquals(Arrays.copyOfRange(want, order[i] * k, (order[i] + 1) * k), Arrays.copyOfRange(reversed, i * k, (i + 1) * k));
        }
        assertTrue(stacked.bytes() >= (long) precision.bytes() * want.length);
    }

    private static float[] product(float[] a, int m, PackedMatrix b, float[] bias) {
        float[] c = new float[m * b.n()];
        Sgemm.gemmPacked(m, a, 0, b.k(), b, bias, c, 0, b.n());
        return c;
    }

    static short[] halves(Random r, int size, Precision precision) {
        short[] h = new short[size];
        for (int i = 0; i < size; i++) {
            float v = r.nextFloat() * 2 - 1;
            h[i] = precision == Precision.BF16 ? (short) (Float.floatToRawIntBits(v) >>> 16) : Float.floatToFloat16(v);
        }
        return h;
    }

    static float[] widen(short[] h, Precision precision) {
        float[] f = new float[h.length];
        for (int i = 0; i < h.length; i++) f[i] = precision == Precision.BF16 ? Float.intBitsToFloat(h[i] << 16) : Float.float16ToFloat(h[i]);
        return f;
    }

    private static short[] toHalves(float[] exact, Precision precision) {
        short[] h = new short[exact.length];
        for (int i = 0; i < h.length; i++) {
            h[i] = precision == Precision.BF16 ? (short) (Float.floatToRawIntBits(exact[i]) >>> 16) : Float.floatToFloat16(exact[i]);
        }
        return h;
    }

    private static float[] random(Random r, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = r.nextFloat() * 2 - 1;
        return x;
    }
}
