package dev.loupe.circuits;

import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.sae.transcoder.Transcoders;
import java.util.Arrays;

/**
 * A feature's direct logit effects: its decoder (to the last layer it writes) times the demeaned unembedding,
 * W_U (W_dec[f]) − mean — the tokens it promotes and suppresses when nothing between it and the output reacts.
 *
 * @param promoted, suppressed token ids, strongest first; {@code promotedValues}, {@code suppressedValues} the effects
 */
public record FeatureLogits(int[] promoted, float[] promotedValues, int[] suppressed, float[] suppressedValues) {

    public static FeatureLogits of(HookedTransformer model, Transcoders tc, int layer, int feature, int k) {
        if (layer < 0 || layer >= tc.nLayers() || feature < 0 || feature >= tc.width(layer)) {
            throw new IllegalArgumentException("no feature " + feature + " at layer " + layer + " (layers 0.." + (tc.nLayers() - 1) + ")");
        }
        int d = tc.dModel();
        float[] dir = new float[d];
        for (int t = layer; t <= tc.lastOutputLayer(layer); t++) tc.addDecoder(layer, feature, t, 1f, dir, 0);
        Tensor w = model.weights().unembed().weight();
        int v = w.size(0);
        float[] row = new float[d];
        double[] effect = new double[v];
        double mean = 0;
        for (int t = 0; t < v; t++) { // row by row from the weight's packed copy
            w.row(t, row, 0);
            double s = 0;
            for (int i = 0; i < d; i++) s += (double) row[i] * dir[i];
            effect[t] = s;
            mean += s;
        }
        mean /= v;
        Integer[] order = new Integer[v];
        for (int t = 0; t < v; t++) order[t] = t;
        Arrays.sort(order, (a, b) -> Double.compare(effect[b], effect[a]));
        k = Math.min(k, v);
        int[] up = new int[k], down = new int[k];
        float[] upV = new float[k], downV = new float[k];
        for (int j = 0; j < k; j++) {
            up[j] = order[j];
            upV[j] = (float) (effect[order[j]] - mean);
            down[j] = order[v - 1 - j];
            downV[j] = (float) (effect[order[v - 1 - j]] - mean);
        }
        return new FeatureLogits(up, upV, down, downV);
    }
}
