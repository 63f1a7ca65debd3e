package dev.loupe.circuits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.interp.intervene.FeatureEdits;
import dev.loupe.interp.intervene.FeatureEdits.FeatureEdit;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.sae.transcoder.Transcoders;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The graph's prediction holds: with attention and norms frozen and every MLP constrained, zeroing a feature
 * changes each demeaned target logit, and each later feature's pre-activation, by minus the graph's edge.
 */
class InterventionEdgeTest {

    @Test
    void ablatingAFeatureMovesTargetsByItsEdges() throws Exception {
        HookedTransformer model = SharedModels.load("gpt2-tiny-random");
        Transcoders tc = CircuitsTinyReferenceTest.set("plt-skip");
        int[] ids = CircuitsTinyReferenceTest.promptIds();
        AttributionGraph g = Attribution.graph(model, tc, ids, AttributionOptions.DEFAULTS);
        int n = g.nodes(), nLayers = g.nLayers(), last = ids.length - 1, vocab = model.config().dVocab();
        double maxAbs = 0;
        for (float v : g.targetRows()) maxAbs = Math.max(maxAbs, Math.abs(v));

        float[] cleanLogits = run(model, tc, ids, FeatureEdits.NONE, null);
        // the five features with the largest edges into the top logit, and the layer-0 feature with the largest edge into any layer-1 feature
        List<Integer> sources = new ArrayList<>(IntStream.range(0, g.featureNodes()).boxed()
                .sorted(Comparator.comparingDouble(i -> -Math.abs(g.edge(g.logitNode(0), i)))).limit(5).toList());
        int bestTarget = -1, bestSource = -1;
        for (int t = 0; t < g.featureNodes(); t++) {
            if (g.activeLayer()[g.selectedFeatures()[t]] != 1) continue;
            for (int s = 0; s < g.featureNodes(); s++) {
                if (bestTarget < 0 || Math.abs(g.edge(t, s)) > Math.abs(g.edge(bestTarget, bestSource))) {
                    bestTarget = t;
                    bestSource = s;
                }
            }
        }
        sources.add(bestSource);
        assertTrue(Math.abs(g.edge(bestTarget, bestSource)) > 1e-3, "a nonzero feature-to-feature edge to test");
        for (int i : sources) {
            int a = g.selectedFeatures()[i];
            FeatureEdits ablate = new FeatureEdits(List.of(FeatureEdit.zero(g.activeLayer()[a], g.activePosition()[a], g.activeFeature()[a])),
                    true, 0, nLayers - 1);
            ActivationCache cache = new ActivationCache();
            float[] logits = run(model, tc, ids, ablate, b -> b.cache(List.of("blocks.1.ln2.hook_normalized"), cache));
            for (int j = 0; j < g.logitTargets().length; j++) {
                double change = demeaned(logits, last, vocab, g.logitTargets()[j]) - demeaned(cleanLogits, last, vocab, g.logitTargets()[j]);
                assertEquals(-g.edge(g.logitNode(j), i), change, 1e-4 * maxAbs, "feature " + i + " → logit " + j);
            }
            if (i == bestSource) {
                int t = g.selectedFeatures()[bestTarget], p = g.activePosition()[t], f = g.activeFeature()[t];
                float[] x = cache.get("blocks.1.ln2.hook_normalized").data(), clean = null;
                LocalReplacementModel m = LocalReplacementModel.of(model, tc, ids);
                clean = m.mlpInput(1);
                int d = model.config().dModel();
                double change = 0;
                float[] enc = tc.encoder(1).data();
                for (int k = 0; k < d; k++) change += (double) (x[p * d + k] - clean[p * d + k]) * enc[f * d + k];
                assertEquals(-g.edge(bestTarget, i), change, 1e-4 * maxAbs, "feature " + i + " → feature " + bestTarget);
            }
        }
    }

    private static float[] run(HookedTransformer model, Transcoders tc, int[] ids, FeatureEdits edits, java.util.function.Consumer<Hooks.Builder> extra) {
        Tensor logits = FeatureInterventions.compile(model, tc, edits, ids).forward(ids, extra);
        return logits.data();
    }

    private static double demeaned(float[] logits, int pos, int vocab, int token) {
        double mean = 0;
        for (int v = 0; v < vocab; v++) mean += logits[pos * vocab + v];
        return logits[pos * vocab + token] - mean / vocab;
    }
}
