package dev.loupe.model.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Picks a token from one row of logits according to a {@link Sampling}; holds the random state. */
final class Sampler {
    private final Sampling s;
    private final SplittableRandom random;

    Sampler(Sampling sampling) {
        this.s = sampling;
        this.random = new SplittableRandom(sampling.seed());
    }

    int next(float[] logits, int off, int n) {
        if (s.temperature() == 0) return argmax(logits, off, n);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[off + i]);
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp((logits[off + i] - max) / s.temperature());
            sum += p[i];
        }
        Integer[] order = null;
        int keep = n;
        if (s.topK() > 0 || s.topP() < 1) {
            order = new Integer[n];
            for (int i = 0; i < n; i++) order[i] = i;
            double[] pp = p;
            Arrays.sort(order, (a, b) -> Double.compare(pp[b], pp[a]));
            if (s.topK() > 0) keep = Math.min(keep, s.topK());
            if (s.topP() < 1) {
                double cum = 0;
                for (int i = 0; i < keep; i++) {
                    cum += p[order[i]] / sum;
                    if (cum >= s.topP()) {
                        keep = i + 1;
                        break;
                    }
                }
            }
        }
        double total = 0;
        for (int i = 0; i < keep; i++) total += p[order == null ? i : order[i]];
        double u = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            int id = order == null ? i : order[i];
            u -= p[id];
            if (u <= 0) return id;
        }
        return order == null ? keep - 1 : order[keep - 1];
    }

    static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[off + i] > x[off + best]) best = i;
        return best;
    }
}
