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

    /** Absolute row sums of the adjacency, clamped below at 1e-10 as circuit-tracer does (error and token rows: the clamp). */
    static double[] rowAbsSums(AttributionGraph g) {
        return rowAbsSums(g, null);
    }

    /** The same over the entries whose row and column are both kept ({@code keep} null: all). */
    static double[] rowAbsSums(AttributionGraph g, boolean[] keep) {
        int n = g.nodes();
        float[] a = g.targetRows();
        double[] s = new double[n];
        java.util.Arrays.fill(s, 1e-10);
        for (int r = 0; r < g.targets(); r++) {
            int node = g.targetNode(r);
            if (keep != null && !keep[node]) continue;
            double t = 0;
            for (int c = 0; c < n; c++) if (keep == null || keep[c]) t += Math.abs(a[r * n + c]);
            s[node] = Math.max(t, 1e-10);
        }
        return s;
    }

    /** Σ_{k≥1} w Â^k over the graph's adjacency. */
    static double[] nodeInfluence(AttributionGraph g, double[] weights) {
        return nodeInfluence(g, weights, null);
    }

    /** The same with the rows and columns of nodes not kept ({@code keep} null: all kept) read as zero. */
    static double[] nodeInfluence(AttributionGraph g, double[] weights, boolean[] keep) {
        int n = g.nodes();
        float[] a = g.targetRows();
        double[] sums = rowAbsSums(g, keep), influence = new double[n], cur = weights.clone();
        for (int term = 0; term < MAX_TERMS; term++) {
            double[] next = new double[n];
            boolean any = false;
            for (int r = 0; r < g.targets(); r++) {
                int node = g.targetNode(r);
                if (cur[node] == 0 || (keep != null && !keep[node])) continue;
                double s = cur[node] / sums[node];
                for (int c = 0; c < n; c++) {
                    float v = a[r * n + c];
                    if (v != 0 && (keep == null || keep[c])) {
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
     * The influence of every active feature as far as the rows computed so far show it: with rows only for the
     * logits and the visited features, influence = y + (influence on the visited features) · Â, y the logit rows'
     * share weighted by their probabilities. A feature's row reaches only lower layers, so one pass over the visited
     * features from the top layer down settles it: when a layer's rows are spread, their own influence is final.
     *
     * @param logitSums, featureSums each row's Σ |entries| (featureRows entries null: not yet visited)
     */
    static double[] partialFeatureInfluence(SourceRow[] logitRows, double[] logitSums, float[] logitProbs, SourceRow[] featureRows,
                                            double[] featureSums, ActiveFeatures af) {
        double[] influence = new double[af.size()];
        for (int j = 0; j < logitRows.length; j++) logitRows[j].addAbs(logitProbs[j] / Math.max(logitSums[j], 1e-10), influence);
        for (int l = af.layerStart().length - 2; l >= 0; l--) {
            for (int i = af.layerStart()[l]; i < af.layerStart()[l + 1]; i++) {
                if (featureRows[i] != null && influence[i] != 0) featureRows[i].addAbs(influence[i] / Math.max(featureSums[i], 1e-10), influence);
            }
        }
        return influence;
    }
}
