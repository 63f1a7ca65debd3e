package dev.loupe.circuits;

/**
 * How much of the model's computation a graph explains through features (circuit-tracer's two scores).
 * <b>Replacement</b>: of the influence reaching the logits from tokens and error nodes, the tokens' share —
 * 1 when every path from input to output runs through features. <b>Completeness</b>: the average over nodes,
 * weighted by influence on the output (plus the logits' own weight), of the fraction of each node's input that
 * does not come from error nodes.
 */
public record GraphScores(double replacement, double completeness) {

    public static GraphScores of(AttributionGraph g) {
        int n = g.nodes();
        float[] a = g.targetRows();
        double[] w = GraphPruning.logitWeights(g);
        double[] influence = Influence.nodeInfluence(g, w);
        double[] sums = Influence.rowAbsSums(g);
        int errStart = g.featureNodes(), errEnd = g.tokenNode(0), tokEnd = g.logitNode(0);
        double token = 0, error = 0;
        for (int i = errStart; i < errEnd; i++) error += influence[i];
        for (int i = errEnd; i < tokEnd; i++) token += influence[i];
        double num = 0, den = 0;
        for (int node = 0; node < n; node++) {
            if (influence[node] + w[node] == 0) continue; // adds nothing to either sum
            int r = g.targetRow(node);
            double errShare = 0;
            if (r >= 0) for (int c = errStart; c < errEnd; c++) errShare += Math.abs(a[r * n + c]);
            double out = influence[node] + w[node];
            num += (1 - errShare / sums[node]) * out;
            den += out;
        }
        return new GraphScores(token / (token + error), num / den);
    }
}
