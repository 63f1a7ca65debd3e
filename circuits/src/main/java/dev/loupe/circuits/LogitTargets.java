package dev.loupe.circuits;

import dev.loupe.core.Tensor;

/**
 * The logit nodes: the most probable next tokens at the last position until their cumulative probability
 * reaches {@code desiredProb} (at most {@code maxN}), each read along its demeaned unembedding column (the column
 * minus the mean column), so a logit node measures that token's logit relative to the average logit.
 *
 * @param directions [T][d] demeaned unembedding columns
 */
record LogitTargets(int[] tokens, float[] probabilities, float[][] directions) {

    static LogitTargets of(LocalReplacementModel m, int maxN, double desiredProb) {
        float[] logits = m.lastLogits();
        int v = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) max = Math.max(max, x);
        double z = 0;
        double[] p = new double[v];
        for (int i = 0; i < v; i++) z += p[i] = Math.exp(logits[i] - max);
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) {
            p[i] /= z;
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        int below = 0;
        double cum = 0;
        for (int i = 0; i < v; i++) {
            cum += p[order[i]];
            if (cum < desiredProb) below++;
            else break;
        }
        int n = Math.min(maxN, below + 1);
        Tensor w = m.model().weights().unembed().weight(); // [vocab, d]
        int d = w.size(1);
        float[] row = new float[d];
        double[] mean = new double[d];
        for (int t = 0; t < v; t++) { // row by row from the weight's packed copy
            w.row(t, row, 0);
            for (int i = 0; i < d; i++) mean[i] += row[i];
        }
        int[] tokens = new int[n];
        float[] probs = new float[n];
        float[][] dirs = new float[n][d];
        for (int j = 0; j < n; j++) {
            tokens[j] = order[j];
            probs[j] = (float) p[order[j]];
            w.row(tokens[j], row, 0);
            for (int i = 0; i < d; i++) dirs[j][i] = (float) (row[i] - mean[i] / v);
        }
        return new LogitTargets(tokens, probs, dirs);
    }
}
