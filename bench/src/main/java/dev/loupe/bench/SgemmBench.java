package dev.loupe.bench;

import dev.loupe.core.kernels.Sgemm;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Times one {@link Sgemm#sgemm} call, C = A * op(B) with beta = 0. The score is milliseconds per call;
 * GFLOP/s = 2 * m * k * n / score / 1e6 ({@code bench/run-gemm.sh} prints the best iteration that way, next
 * to OpenBLAS).
 * {@code shape} is "MxKxN"; {@code transB} = true is the layout of a linear layer (weights stored [n, k]).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 8, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class SgemmBench {
    @Param({"2048x2048x2048", "768x768x3072", "1024x768x3072"})
    public String shape;

    @Param({"false", "true"})
    public boolean transB;

    private int m, k, n;
    private float[] a, b, c;

    @Setup
    public void setUp() {
        String[] d = shape.split("x");
        m = Integer.parseInt(d[0]);
        k = Integer.parseInt(d[1]);
        n = Integer.parseInt(d[2]);
        Random r = new Random(0);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() - 0.5f;
    }

    @Benchmark
    public float[] sgemm() {
        Sgemm.sgemm(false, transB, m, n, k, 1f, a, 0, k, b, 0, transB ? k : n, 0f, c, 0, n);
        return c;
    }
}
