package dev.loupe.circuits;

/**
 * Influence on the logits, circuit-tracer's measure: with Â the adjacency with each row's absolute values
 * normalised to sum 1 (how a target's input is shared among its sources), a node's influence is
 * Σ_{k≥1} (w Â^k)[node], w the logit probabilities on the logit nodes. The graph is acyclic (a feature only
 * reads features of lower layers), so the series ends after at most L + 2 terms.
 */
final class Influence {
    private static final int MAX_TERMS = 100_000;

    private Influence() {}

    /** Absolute row sums of the dense [n, n] matrix, clamped below at 1e-10 as circuit-tracer does. */
    static double[] rowAbsSums(float[] a, int n) {
        double[] s = new double[n];
        for (int r = 0; r < n; r++) {
            double t = 0;
            for (int c = 0; c < n; c++) t += Math.abs(a[r * n + c]);
            s[r] = Math.max(t, 1e-10);
        }
        return s;
    }

    /** Σ_{k≥1} w Â^k over a dense [n, n] adjacency. */
    static double[] nodeInfluence(float[] a, int n, double[] weights) {
        double[] sums = rowAbsSums(a, n), influence = new double[n], cur = weights.clone();
        for (int term = 0; term < MAX_TERMS; term++) {
            double[] next = new double[n];
            boolean any = false;
            for (int r = 0; r < n; r++) {
                if (cur[r] == 0) continue;
                double s = cur[r] / sums[r];
                for (int c = 0; c < n; c++) {
                    float v = a[r * n + c];
                    if (v != 0) {
                        next[c] += s * Math.abs(v);
                        any = true;
                    }
                }
            }
            if (!any) return influence;
            for (int c = 0; c < n; c++) influence[c] += next[c];
            cur = next;
        }
        throw new IllegalStateException("influence did not converge after " + MAX_TERMS + " terms: the adjacency has a cycle");
    }

    /**
     * The influence of every active feature as far as the rows computed so far show it: logit rows weighted by
     * their probabilities, then the rows of visited features (null entries: not yet visited) weighted by their own
     * influence. Rows are full [active features, errors, tokens]; each is normalised by its whole absolute sum.
     */
    static double[] partialFeatureInfluence(float[][] logitRows, float[] logitProbs, float[][] featureRows, int nActive) {
        double[] influence = new double[nActive], next = new double[nActive];
        for (int j = 0; j < logitRows.length; j++) accumulate(logitRows[j], logitProbs[j], nActive, next);
        double[] sums = new double[nActive];
        for (int i = 0; i < nActive; i++) sums[i] = featureRows[i] == null ? 0 : absSum(featureRows[i]);
        for (int term = 0; term < MAX_TERMS; term++) {
            boolean any = false;
            for (int i = 0; i < nActive; i++) {
                influence[i] += next[i];
                any |= next[i] != 0;
            }
            if (!any) return influence;
            double[] cur = next;
            next = new double[nActive];
            for (int i = 0; i < nActive; i++) if (cur[i] != 0 && featureRows[i] != null) accumulate(featureRows[i], cur[i], nActive, next, sums[i]);
        }
        throw new IllegalStateException("influence did not converge after " + MAX_TERMS + " terms");
    }

    private static void accumulate(float[] row, double weight, int nActive, double[] out) {
        accumulate(row, weight, nActive, out, absSum(row));
    }

    private static void accumulate(float[] row, double weight, int nActive, double[] out, double sum) {
        double s = weight / Math.max(sum, 1e-10);
        for (int c = 0; c < nActive; c++) if (row[c] != 0) out[c] += s * Math.abs(row[c]);
    }

    private static double absSum(float[] row) {
        double t = 0;
        for (float v : row) t += Math.abs(v);
        return t;
    }
}
