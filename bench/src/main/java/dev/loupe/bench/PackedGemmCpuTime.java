package dev.loupe.bench;

import dev.loupe.core.kernels.PackedMatrix;
import dev.loupe.core.kernels.Sgemm;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/**
 * {@link Sgemm#gemmPacked} on one thread, a float32 and a bfloat16 copy of the same weight [n, k] times m rows,
 * timed in the calling thread's CPU time (best call of all), so the figures stay meaningful on a machine
 * shared with other work: weight GB/s (decode, m = 1) and GFLOP/s (prefill, m in the hundreds).
 * Run with {@code -Dloupe.threads=1}: {@code java --add-modules jdk.incubator.vector -Dloupe.threads=1
 * -cp bench/target/benchmarks.jar dev.loupe.bench.PackedGemmCpuTime N K M CALLS ROUNDS}.
 */
public final class PackedGemmCpuTime {
    private PackedGemmCpuTime() {}

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]), k = Integer.parseInt(args[1]), m = Integer.parseInt(args[2]);
        int calls = Integer.parseInt(args[3]), rounds = Integer.parseInt(args[4]);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Random r = new Random(1);
        short[] h = new short[n * k];
        float[] f = new float[n * k];
        for (int i = 0; i < h.length; i++) {
            h[i] = (short) (Float.floatToRawIntBits(r.nextFloat() - 0.5f) >>> 16);
            f[i] = Float.intBitsToFloat(h[i] << 16);
        }
        PackedMatrix[] weights = {PackedMatrix.transposeOf(f, n, k), PackedMatrix.transposeOf(h, n, k, PackedMatrix.Precision.BF16)};
        float[] a = new float[m * k], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat();
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
        for (int round = 0; round < rounds; round++) { // the two precisions alternate, so both see the same machine
            for (int w = 0; w < weights.length; w++) {
                for (int i = 0; i < calls; i++) {
                    long t0 = threads.getCurrentThreadCpuTime();
                    Sgemm.gemmPacked(m, a, 0, k, weights[w], null, c, 0, n);
                    best[w] = Math.min(best[w], (threads.getCurrentThreadCpuTime() - t0) / 1e9);
                }
            }
        }
        for (int w = 0; w < weights.length; w++) {
            System.out.printf("%s [%d, %d] x %d rows: %.3f ms, weight %.1f GB/s, %.1f GFLOP/s%n", weights[w].precision(), n, k, m,
                    best[w] * 1e3, weights[w].bytes() / best[w] / 1e9, 2.0 * m * n * k / best[w] / 1e9);
        }
    }
}
