package dev.loupe.circuits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.interp.intervene.FeatureEdits;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.sae.transcoder.CrossLayerTranscoder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Attribution graphs through a cross-layer transcoder: a feature read at layer s writes to the MLP output of s and
 * of every later layer, and its edges must carry all of those writes. Checked against an ablation computed here,
 * independently of the transcoder's own decoder code: on stories260K (5 layers, rotary, GQA) with a seeded random
 * CLT, the model runs with attention and norms frozen and every MLP constrained, and the test itself subtracts the
 * feature's activation × its decoder row for each layer t ≥ s, read straight from the CLT's W_dec[s] [width,
 * n_layers − s, d_model], from {@code hook_mlp_out} of layer t. The change in every demeaned target logit, and in a
 * feature three layers up, is minus the graph's edge.
 */
class CrossLayerGraphTest {

    @Test
    void ablatingACrossLayerFeatureMovesTargetsByItsEdges() {
        HookedTransformer model = SharedModels.load("stories260K-hf");
        int nLayers = model.config().nLayers(), d = model.config().dModel(), vocab = model.config().dVocab();
        CrossLayerTranscoder clt = RandomTranscoders.crossLayer(nLayers, d, 32, 5);
        int[] ids = {1, 403, 261, 378, 343, 261, 300, 440, 267, 274, 416, 46};
        AttributionGraph g = Attribution.graph(model, clt, ids, AttributionOptions.DEFAULTS);
        int last = ids.length - 1;
        double maxAbs = 0;
        for (float v : g.targetRows()) maxAbs = Math.max(maxAbs, Math.abs(v));
        float[] clean = run(model, clt, ids, -1, null);

        // the three layer-0 features with the largest edges into the top logit, and the largest edge from a layer-0 feature into a layer-3 one
        List<Integer> sources = new ArrayList<>(IntStream.range(0, g.featureNodes()).boxed().filter(i -> g.activeLayer()[g.selectedFeatures()[i]] == 0)
                .sorted(Comparator.comparingDouble(i -> -Math.abs(g.edge(g.logitNode(0), i)))).limit(3).toList());
        int bestTarget = -1, bestSource = -1;
        for (int t = 0; t < g.featureNodes(); t++) {
            if (g.activeLayer()[g.selectedFeatures()[t]] != 3) continue;
            for (int s = 0; s < g.featureNodes(); s++) {
                if (g.activeLayer()[g.selectedFeatures()[s]] != 0) continue;
                if (bestTarget < 0 || Math.abs(g.edge(t, s)) > Math.abs(g.edge(bestTarget, bestSource))) {
                    bestTarget = t;
                    bestSource = s;
                }
            }
        }
        assertTrue(bestTarget >= 0 && Math.abs(g.edge(bestTarget, bestSource)) > 1e-3, "a layer 0 → layer 3 edge to test");
        sources.add(bestSource);
        int tf = g.selectedFeatures()[bestTarget], tp = g.activePosition()[tf];
        String readAt = "blocks.3.ln2.hook_normalized";
        ActivationCache cleanCache = new ActivationCache();
        run(model, clt, ids, -1, cleanCache);
        for (int i : sources) {
            ActivationCache cache = new ActivationCache();
            float[] logits = run(model, clt, ids, g.selectedFeatures()[i], cache, g);
            for (int j = 0; j < g.logitTargets().length; j++) {
                double change = demeaned(logits, last, vocab, g.logitTargets()[j]) - demeaned(clean, last, vocab, g.logitTargets()[j]);
                assertEquals(-g.edge(g.logitNode(j), i), change, 1e-4 * maxAbs, "feature " + i + " → logit " + j);
            }
            if (i == bestSource) {
                float[] x = cache.get(readAt).data(), x0 = cleanCache.get(readAt).data(), enc = clt.wEnc()[3];
                double change = 0;
                for (int k = 0; k < d; k++) change += (double) (x[tp * d + k] - x0[tp * d + k]) * enc[g.activeFeature()[tf] * d + k];
                System.out.printf("CLT edge L0→L3 %.6f, ablation change %.6f (max |edge| %.4f)%n", g.edge(bestTarget, i), change, maxAbs);
                assertEquals(-g.edge(bestTarget, i), change, 1e-4 * maxAbs, "feature " + i + " → feature " + bestTarget);
                // the writes past the feature's own layer matter: removing only its layer-0 write moves the target differently
                ActivationCache own = new ActivationCache();
                run(model, clt, ids, g.selectedFeatures()[i], own, g, 0);
                float[] y = own.get(readAt).data();
                double ownChange = 0;
                for (int k = 0; k < d; k++) ownChange += (double) (y[tp * d + k] - x0[tp * d + k]) * enc[g.activeFeature()[tf] * d + k];
                assertTrue(Math.abs(ownChange - change) > 0.05 * Math.abs(change), "own-layer write alone " + ownChange + " vs all writes " + change);
            }
        }
    }

    private static float[] run(HookedTransformer model, CrossLayerTranscoder clt, int[] ids, int active, ActivationCache cache) {
        return run(model, clt, ids, active, cache, null, clt.nLayers() - 1);
    }

    private static float[] run(HookedTransformer model, CrossLayerTranscoder clt, int[] ids, int active, ActivationCache cache, AttributionGraph g) {
        return run(model, clt, ids, active, cache, g, clt.nLayers() - 1);
    }

    /**
     * Logits with attention and norms frozen, every MLP constrained, and (unless active < 0) active feature {@code active} of {@code g}
     * zeroed by hand in the MLP outputs of its layer through {@code lastLayer}.
     */
    private static float[] run(HookedTransformer model, CrossLayerTranscoder clt, int[] ids, int active, ActivationCache cache, AttributionGraph g,
                               int lastLayer) {
        int nLayers = clt.nLayers(), d = clt.dModel();
        FeatureEdits frozen = new FeatureEdits(List.of(), true, 0, nLayers - 1);
        Tensor logits = FeatureInterventions.compile(model, clt, frozen, ids).forward(ids, b -> {
            if (active >= 0) {
                int s = g.activeLayer()[active], p = g.activePosition()[active], f = g.activeFeature()[active], span = nLayers - s;
                float a = g.activationValues()[active];
                for (int t = s; t <= lastLayer; t++) {
                    int off = (f * span + t - s) * d;
                    b.add("blocks." + t + ".hook_mlp_out", (x, ctx) -> {
                        float[] y = x.data().clone();
                        for (int k = 0; k < d; k++) y[p * d + k] -= a * clt.wDec()[s][off + k];
                        return Tensor.of(y, x.shape());
                    });
                }
            }
            if (cache != null) b.cache(List.of("blocks.3.ln2.hook_normalized"), cache);
        });
        return logits.data();
    }

    private static double demeaned(float[] logits, int pos, int vocab, int token) {
        double mean = 0;
        for (int v = 0; v < vocab; v++) mean += logits[pos * vocab + v];
        return logits[pos * vocab + token] - mean / vocab;
    }
}
