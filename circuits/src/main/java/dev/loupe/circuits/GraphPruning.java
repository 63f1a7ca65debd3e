package dev.loupe.circuits;

import java.util.Arrays;

/**
 * circuit-tracer's pruning: keep the nodes that carry {@code nodeThreshold} of the total influence on the logits
 * (tokens and logits always stay), then, in the graph of kept nodes, the edges that carry {@code edgeThreshold}
 * of the total edge influence (an edge's score is its normalised weight times its target's influence plus the
 * target's own logit weight); finally drop feature and error nodes left without outgoing kept edges and feature
 * nodes without incoming ones, until nothing changes.
 *
 * @param nodeMask [n]
 * @param edgeMask [targets · n] over the graph's held rows ({@link AttributionGraph#targetRows}: feature nodes then
 *                 logits), row-major (target, source); the other rows of the adjacency are zero, so no edge ends there
 * @param cumulativeScores [n]: the share of total influence of the nodes at least as influential as this one
 */
public record GraphPruning(boolean[] nodeMask, boolean[] edgeMask, double[] cumulativeScores) {

    public static GraphPruning of(AttributionGraph g, double nodeThreshold, double edgeThreshold) {
        if (!(nodeThreshold >= 0 && nodeThreshold <= 1)) throw new IllegalArgumentException("node threshold must be in [0, 1], got " + nodeThreshold);
        if (!(edgeThreshold >= 0 && edgeThreshold <= 1)) throw new IllegalArgumentException("edge threshold must be in [0, 1], got " + edgeThreshold);
        int n = g.nodes(), rows = g.targets(), nLogits = g.logitTargets().length, nTokens = g.positions(), nFeatures = g.featureNodes();
        double[] w = logitWeights(g);
        float[] a = g.targetRows();
        double[] influence = Influence.nodeInfluence(g, w);
        boolean[] node = new boolean[n];
        double nt = threshold(influence, nodeThreshold);
        for (int i = 0; i < n; i++) node[i] = influence[i] >= nt || i >= n - nLogits - nTokens;

        // the graph of kept nodes, read through the node mask rather than copied; edge scores are made twice (to find
        // the threshold among the nonzero ones, then to mark the edges) instead of being held for every entry
        boolean[] kept = node.clone();
        double[] sums = Influence.rowAbsSums(g, kept);
        double[] prunedInfluence = Influence.nodeInfluence(g, w, kept);
        double[] rowWeight = new double[rows];
        for (int r = 0; r < rows; r++) rowWeight[r] = (prunedInfluence[g.targetNode(r)] + w[g.targetNode(r)]) / sums[g.targetNode(r)];
        int nonzero = 0;
        for (int r = 0; r < rows; r++) if (kept[g.targetNode(r)]) for (int c = 0; c < n; c++) if (kept[c] && a[r * n + c] != 0) nonzero++;
        double[] scores = new double[nonzero];
        int k = 0;
        for (int r = 0; r < rows; r++) if (kept[g.targetNode(r)]) for (int c = 0; c < n; c++) if (kept[c] && a[r * n + c] != 0) scores[k++] = Math.abs(a[r * n + c]) * rowWeight[r];
        double et = threshold(scores, edgeThreshold); // zero scores change neither the total nor where the share is reached
        boolean[] edge = new boolean[rows * n];
        for (int r = 0; r < rows; r++) {
            boolean target = kept[g.targetNode(r)];
            for (int c = 0; c < n; c++) {
                float v = target && kept[c] ? a[r * n + c] : 0f;
                edge[r * n + c] = Math.abs(v) * rowWeight[r] >= et;
            }
        }

        int sourceEnd = n - nLogits - nTokens; // features and errors must keep an outgoing edge
        boolean changed = true;
        boolean first = true;
        while (changed) {
            boolean[] before = node.clone();
            if (!first) {
                for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) if (!node[g.targetNode(r)] || !node[c]) edge[r * n + c] = false;
            }
            first = false;
            boolean[] out = new boolean[n], in = new boolean[n];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < n; c++) {
                    if (edge[r * n + c]) {
                        out[c] = true;
                        in[g.targetNode(r)] = true;
                    }
                }
            }
            for (int c = 0; c < sourceEnd; c++) node[c] &= out[c];
            for (int r = 0; r < nFeatures; r++) node[r] &= in[r];
            changed = !Arrays.equals(before, node);
        }
        return new GraphPruning(node, edge, cumulative(influence));
    }

    static double[] logitWeights(AttributionGraph g) {
        double[] w = new double[g.nodes()];
        for (int j = 0; j < g.logitTargets().length; j++) w[g.logitNode(j)] = g.logitProbabilities()[j];
        return w;
    }

    /**
     * The smallest score among the top scores whose sum first reaches {@code fraction} of the total (the score at
     * the first index where the cumulative share is ≥ fraction, as a sorted search does).
     */
    static double threshold(double[] scores, double fraction) {
        if (scores.length == 0) return 0;
        double[] sorted = scores.clone();
        Arrays.sort(sorted);
        double total = 0;
        for (double s : sorted) total += s;
        double cum = 0;
        for (int i = sorted.length - 1; i >= 0; i--) {
            cum += sorted[i];
            if (cum / total >= fraction) return sorted[i];
        }
        return sorted[0];
    }

    private static double[] cumulative(double[] influence) {
        int n = influence.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> Double.compare(influence[y], influence[x]));
        double total = 0;
        for (double v : influence) total += v;
        double[] out = new double[n];
        double cum = 0;
        for (int k = 0; k < n; k++) {
            cum += influence[order[k]];
            out[order[k]] = total == 0 ? 0 : cum / total;
        }
        return out;
    }
}
