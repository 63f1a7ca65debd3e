package dev.loupe.circuits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.interp.intervene.FeatureEdits;
import dev.loupe.interp.intervene.FeatureEdits.FeatureEdit;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.sae.transcoder.Transcoders;
import java.util.List;
import org.junit.jupiter.api.Test;

/** QK attribution on gpt2-tiny-random: the parts sum to the score, and a pair equals a mixed finite difference. */
class QkAttributionTest {
    private static final int LAYER = 1, HEAD = 2, QUERY = 11, KEY = 5;

    @Test
    void pairsSumToTheScoreAndMatchAMixedFiniteDifference() throws Exception {
        HookedTransformer model = SharedModels.load("gpt2-tiny-random");
        Transcoders tc = CircuitsTinyReferenceTest.set("plt-skip");
        int[] ids = CircuitsTinyReferenceTest.promptIds();
        QkAttribution qk = QkAttribution.of(model, tc, ids, LAYER, HEAD, QUERY, KEY, 16);

        ActivationCache clean = new ActivationCache();
        model.runWithCache(new int[][] {ids}, List.of("blocks.1.attn.hook_attn_scores"), clean);
        double actual = clean.get("blocks.1.attn.hook_attn_scores").get(0, HEAD, QUERY, KEY);
        assertEquals(actual, qk.score(), 1e-4 * Math.abs(actual) + 1e-5, "the recomputed score");

        int sources = qk.query().length, dh = qk.queryBias().length;
        double total = 0, root = Math.sqrt(dh);
        float[] qSum = qk.queryBias().clone(), kSum = qk.keyBias().clone();
        for (int s = 0; s < sources; s++) {
            for (int r = 0; r < dh; r++) {
                qSum[r] += qk.query()[s][r];
                kSum[r] += qk.key()[s][r];
            }
        }
        for (int r = 0; r < dh; r++) total += (double) qSum[r] * kSum[r];
        assertEquals(actual, total / root, 1e-4 * Math.abs(actual) + 1e-5, "parts and biases sum to the score");

        // i: a layer-0 feature after the key position (it reaches only the query side); j: one at or before it (both sides)
        ActiveFeatures f = qk.features();
        int i = best(qk.query(), f, KEY + 1, QUERY), j = best(qk.key(), f, 1, KEY);
        double predicted = qk.pair(i, j);
        assertTrue(Math.abs(predicted) > 1e-4, "a pair with a visible attribution: " + predicted);
        double e = 0.5;
        double mixed = (score(model, tc, ids, f, i, e, j, e) - score(model, tc, ids, f, i, e, j, -e) - score(model, tc, ids, f, i, -e, j, e)
                + score(model, tc, ids, f, i, -e, j, -e)) / (4 * e * e);
        System.out.printf("QK pair (%s, %s): attribution %.6f, mixed finite difference %.6f; score %.5f, %d pairs in the top list%n",
                qk.label(i), qk.label(j), predicted, mixed, actual, qk.topPairs(5).size());
        assertEquals(mixed, predicted, 1e-3 * Math.max(1, Math.abs(predicted)));
    }

    /** The layer-0 feature at a position in [from, to] with the largest part on this side. */
    private static int best(float[][] side, ActiveFeatures f, int from, int to) {
        int best = -1;
        double bestNorm = -1;
        for (int s = 0; s < f.size(); s++) {
            if (f.layer()[s] != 0 || f.position()[s] < from || f.position()[s] > to) continue;
            double norm = 0;
            for (float v : side[s]) norm += v * v;
            if (norm > bestNorm) {
                bestNorm = norm;
                best = s;
            }
        }
        return best;
    }

    /** The head's score with features i and j scaled by (1 + a) and (1 + b), everything frozen and constrained. */
    private static double score(HookedTransformer model, Transcoders tc, int[] ids, ActiveFeatures f, int i, double a, int j, double b) {
        FeatureEdits edits = new FeatureEdits(List.of(
                new FeatureEdit(f.layer()[i], f.position()[i], f.feature()[i], FeatureEdit.Kind.SCALE, (float) (1 + a)),
                new FeatureEdit(f.layer()[j], f.position()[j], f.feature()[j], FeatureEdit.Kind.SCALE, (float) (1 + b))), true, 0, 1);
        ActivationCache c = new ActivationCache();
        FeatureInterventions.compile(model, tc, edits, ids).forward(ids, h -> h.cache(List.of("blocks.1.attn.hook_attn_scores"), c));
        return c.get("blocks.1.attn.hook_attn_scores").get(0, HEAD, QUERY, KEY);
    }
}
