package dev.loupe.circuits;

/**
 * An attribution graph (circuit-tracer's {@code Graph}). Nodes, in order: the selected feature nodes
 * ({@code selectedFeatures} index {@code activeFeatures}, ascending), error nodes layer-major [layer][position],
 * token-embedding nodes [position], logit nodes. {@code adjacency} [n, n] row-major: row = target, column =
 * source, entry = the source's direct effect on the target through the local replacement model. Error and token
 * rows are zero (nothing acts on them); so are logit columns.
 *
 * @param activeLayer, activePosition, activeFeature, activationValues every active feature (not only selected)
 */
public record AttributionGraph(int[] inputTokens, int nLayers, int[] activeLayer, int[] activePosition, int[] activeFeature,
                               float[] activationValues, int[] selectedFeatures, int[] logitTargets, float[] logitProbabilities,
                               float[] adjacency, String scan) {

    public AttributionGraph {
        long n = (long) selectedFeatures.length + (long) (nLayers + 1) * inputTokens.length + logitTargets.length;
        if (adjacency.length != n * n) throw new IllegalArgumentException("adjacency of " + adjacency.length + " entries for " + n + " nodes");
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

    /** adjacency[target, source]. */
    public float edge(int target, int source) {
        return adjacency[target * nodes() + source];
    }
}
