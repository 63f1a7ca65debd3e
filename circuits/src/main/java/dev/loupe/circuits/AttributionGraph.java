package dev.loupe.circuits;

/**
 * An attribution graph (circuit-tracer's {@code Graph}). Nodes, in order: the selected feature nodes
 * ({@code selectedFeatures} index {@code activeFeatures}, ascending), error nodes layer-major [layer][position],
 * token-embedding nodes [position], logit nodes. The adjacency [n, n] (row = target, column = source, entry = the
 * source's direct effect on the target through the local replacement model) has nonzero rows only for the feature and
 * logit nodes — nothing acts on an error or a token node — so only those rows are held: {@code targetRows}
 * [featureNodes + logits, n] row-major, the feature nodes' rows then the logits'. That is (N + T) · n floats instead of
 * n², n ≈ (L + 1) · P: linear in the prompt's length rather than quadratic. Logit columns are zero.
 *
 * @param activeLayer, activePosition, activeFeature, activationValues every active feature (not only selected)
 */
public record AttributionGraph(int[] inputTokens, int nLayers, int[] activeLayer, int[] activePosition, int[] activeFeature,
                               float[] activationValues, int[] selectedFeatures, int[] logitTargets, float[] logitProbabilities,
                               float[] targetRows, String scan) {

    public AttributionGraph {
        long n = (long) selectedFeatures.length + (long) (nLayers + 1) * inputTokens.length + logitTargets.length;
        long want = n * (selectedFeatures.length + logitTargets.length);
        if (targetRows.length != want) throw new IllegalArgumentException("target rows of " + targetRows.length + " entries for " + n + " nodes (expected " + want + ")");
    }

    public int positions() {
        return inputTokens.length;
    }

    public int nodes() {
        return selectedFeatures.length + (nLayers + 1) * inputTokens.length + logitTargets.length;
    }

    public int featureNodes() {
        return selectedFeatures.length;
    }

    public int errorNode(int layer, int position) {
        return selectedFeatures.length + layer * inputTokens.length + position;
    }

    public int tokenNode(int position) {
        return selectedFeatures.length + nLayers * inputTokens.length + position;
    }

    public int logitNode(int j) {
        return selectedFeatures.length + (nLayers + 1) * inputTokens.length + j;
    }

    /** The number of rows held: feature nodes then logits. */
    public int targets() {
        return selectedFeatures.length + logitTargets.length;
    }

    /** The node of held row {@code r}. */
    public int targetNode(int r) {
        return r < selectedFeatures.length ? r : logitNode(r - selectedFeatures.length);
    }

    /** The held row of {@code node}, or -1 for an error or token node (its row is zero). */
    public int targetRow(int node) {
        if (node < selectedFeatures.length) return node;
        int first = logitNode(0);
        return node >= first ? selectedFeatures.length + node - first : -1;
    }

    /** adjacency[target, source]. */
    public float edge(int target, int source) {
        int r = targetRow(target);
        return r < 0 ? 0f : targetRows[r * nodes() + source];
    }

    /** Row {@code target} of the adjacency into {@code out} [n] (zeros for an error or token node). */
    public void adjacencyRow(int target, float[] out) {
        int r = targetRow(target), n = nodes();
        if (r < 0) java.util.Arrays.fill(out, 0, n, 0f);
        else System.arraycopy(targetRows, r * n, out, 0, n);
    }

    /** The whole adjacency [n · n], row-major: for small graphs (tests, comparisons); files stream it row by row. */
    public float[] denseAdjacency() {
        int n = nodes();
        float[] a = new float[Math.multiplyExact(n, n)];
        for (int r = 0; r < targets(); r++) System.arraycopy(targetRows, r * n, a, targetNode(r) * n, n);
        return a;
    }
}
