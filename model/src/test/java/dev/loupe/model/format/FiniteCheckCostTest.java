package dev.loupe.model.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loupe.core.kernels.Elementwise;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the load-time NaN/Inf check costs (BENCHMARKS.md "Hardening"): the vectorised scan of 256 MiB of float32
 * against copying the same bytes (the least a decode pass does), and the 16-bit mask test against widening BF16.
 */
@Tag("slow")
class FiniteCheckCostTest {
    @Test
    void scanCostsLessThanTheDecodeItFollows() {
        int n = 64 << 20;
        float[] w = new float[n], copy = new float[n];
        short[] h = new short[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) Math.sin(i);
            h[i] = (short) (Float.floatToRawIntBits(w[i]) >>> 16);
        }
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            assertEquals(-1, Elementwise.firstNonFinite(w));
            long t1 = System.nanoTime();
            System.arraycopy(w, 0, copy, 0, n);
            long t2 = System.nanoTime();
            FiniteWeights.checkHalves("bench", "h", h, h.length, 0, true);
            long t3 = System.nanoTime();
            for (int i = 0; i < n; i++) copy[i] = Float.intBitsToFloat(h[i] << 16);
            long t4 = System.nanoTime();
            double gb = 4.0 * n / 1e9;
            System.out.printf("FINITE round %d: f32 scan %.1f GB/s vs copy %.1f GB/s; bf16 mask %.1f GB/s vs widen %.1f GB/s%n", round,
                    gb / ((t1 - t0) / 1e9), gb / ((t2 - t1) / 1e9), gb / 2 / ((t3 - t2) / 1e9), gb / 2 / ((t4 - t3) / 1e9));
        }
    }
}
