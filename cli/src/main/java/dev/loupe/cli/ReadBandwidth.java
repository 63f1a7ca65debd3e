package dev.loupe.cli;

import dev.loupe.core.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A STREAM-style read bandwidth of this machine, for the decode benchmark's "percent of bandwidth": the best
 * of a few passes summing a buffer far larger than the caches, split across Loupe's threads as a decode
 * step splits its weights.
 */
final class ReadBandwidth {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private ReadBandwidth() {}

    /** Bytes per second read, best of {@code passes} over a buffer of {@code bytes}. */
    static double measure(long bytes, int passes) {
        float[] buf = new float[(int) Math.min(Integer.MAX_VALUE - 8, bytes / 4) / S.length() * S.length()];
        java.util.Arrays.fill(buf, 1f);
        double best = 0;
        float[] sink = new float[Parallel.threads()];
        for (int p = 0; p < passes + 1; p++) { // the first pass warms up the JIT
            long t0 = System.nanoTime();
            Parallel.forRange(buf.length, S.length() * 1024, (lo, hi) -> {
                FloatVector a = FloatVector.zero(S), b = FloatVector.zero(S), c = FloatVector.zero(S), d = FloatVector.zero(S);
                int i = lo, step = 4 * S.length();
                for (; i + step <= hi; i += step) {
                    a = a.add(FloatVector.fromArray(S, buf, i));
                    b = b.add(FloatVector.fromArray(S, buf, i + S.length()));
                    c = c.add(FloatVector.fromArray(S, buf, i + 2 * S.length()));
                    d = d.add(FloatVector.fromArray(S, buf, i + 3 * S.length()));
                }
                sink[(int) ((long) lo * sink.length / buf.length)] += a.add(b).add(c).add(d).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
            });
            double rate = 4.0 * buf.length / ((System.nanoTime() - t0) / 1e9);
            if (p > 0) best = Math.max(best, rate);
        }
        if (sink[0] < 0) throw new AssertionError(); // keeps the sums alive
        return best;
    }
}
