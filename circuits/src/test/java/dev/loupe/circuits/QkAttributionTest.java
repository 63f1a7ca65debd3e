package dev.loupe.circuits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.interp.intervene.FeatureEdits;
import dev.loupe.interp.intervene.FeatureEdits.FeatureEdit;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.TransformerWeights;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.sae.transcoder.Transcoders;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * QK attribution against the model itself: the parts and biases sum to the real score, and a pair's attribution
 * equals a mixed finite difference of the score in the model with attention, norms and MLPs frozen (features scaled
 * through {@link FeatureInterventions}, the per-head q/k norms frozen by hooks written here). On gpt2-tiny-random
 * (learned positions) with the circuits-tiny skip transcoders, and on two rotary models with seeded random
 * transcoders: qwen3-tiny-random (q/k norms before rotary, GQA, d_head ≠ d/heads) and stories260K (Llama, GQA).
 */
class QkAttributionTest {

    @Test
    void learnedPositions() throws Exception {
        check(SharedModels.load("gpt2-tiny-random"), CircuitsTinyReferenceTest.set("plt-skip"), CircuitsTinyReferenceTest.promptIds(), 1, 2, 11, 5);
    }

    @Test
    void rotaryWithQkNorms() {
        HookedTransformer model = SharedModels.load("qwen3-tiny-random");
        TransformerConfig c = model.config();
        assertTrue(c.qkNorm() && c.attention(1).rotary() != null);
        check(model, RandomTranscoders.perLayer(c.nLayers(), c.dModel(), 48, 7), new int[] {998, 17, 204, 5, 731, 88, 3, 412, 96, 250, 61, 700}, 1, 3, 10, 4);
    }

    @Test
    void rotaryLlama() {
        HookedTransformer model = SharedModels.load("stories260K-hf");
        TransformerConfig c = model.config();
        check(model, RandomTranscoders.perLayer(c.nLayers(), c.dModel(), 48, 11), new int[] {1, 403, 261, 378, 343, 261, 300, 440, 267, 274, 416, 46}, 3, 5, 11, 6);
    }

    private static void check(HookedTransformer model, Transcoders tc, int[] ids, int layer, int head, int query, int key) {
        String scores = "blocks." + layer + ".attn.hook_attn_scores";
        QkAttribution qk = QkAttribution.of(model, tc, ids, layer, head, query, key, 16);
        ActivationCache clean = new ActivationCache();
        model.runWithCache(new int[][] {ids}, List.of(scores), clean);
        double actual = clean.get(scores).get(0, head, query, key);
        assertEquals(actual, qk.score(), 1e-4 * Math.abs(actual) + 1e-5, "the recomputed score");

        int sources = qk.query().length, dh = qk.queryBias().length;
        float[] qSum = qk.queryBias().clone(), kSum = qk.keyBias().clone();
        for (int s = 0; s < sources; s++) {
            for (int r = 0; r < dh; r++) {
                qSum[r] += qk.query()[s][r];
                kSum[r] += qk.key()[s][r];
            }
        }
        double total = 0;
        for (int r = 0; r < dh; r++) total += (double) qSum[r] * kSum[r];
        assertEquals(actual, total * qk.scale(), 1e-4 * Math.abs(actual) + 1e-5, "parts and biases sum to the score");

        // i: a feature of an earlier layer after the key position (it reaches only the query side); j: one at or before it (both sides)
        ActiveFeatures f = qk.features();
        int i = best(qk.query(), f, layer, key + 1, query), j = best(qk.key(), f, layer, 1, key);
        double predicted = qk.pair(i, j);
        assertTrue(Math.abs(predicted) > 1e-4, "a pair with a visible attribution: " + predicted);
        double e = 0.5;
        double mixed = (score(model, tc, ids, f, layer, head, query, key, i, e, j, e) - score(model, tc, ids, f, layer, head, query, key, i, e, j, -e)
                - score(model, tc, ids, f, layer, head, query, key, i, -e, j, e) + score(model, tc, ids, f, layer, head, query, key, i, -e, j, -e)) / (4 * e * e);
        System.out.printf("%s QK L%d H%d %d→%d pair (%s, %s): attribution %.8f, mixed finite difference %.8f; score %.5f%n", model.config().architecture(),
                layer, head, query, key, qk.label(i), qk.label(j), predicted, mixed, actual);
        assertEquals(mixed, predicted, 2e-3 * Math.abs(predicted) + 1e-6, "the pair against the mixed finite difference");
        QkAttribution.Pair top = qk.topPairs(1).getFirst();
        assertEquals(qk.pair(top.querySource(), top.keySource()), top.value(), 0);
        assertTrue(Math.abs(top.value()) >= Math.abs(predicted));
    }

    /** The feature below {@code layer} at a position in [from, to] with the largest part on this side. */
    private static int best(float[][] side, ActiveFeatures f, int layer, int from, int to) {
        int best = -1;
        double bestNorm = -1;
        for (int s = 0; s < f.size(); s++) {
            if (f.layer()[s] >= layer || f.position()[s] < from || f.position()[s] > to) continue;
            double norm = 0;
            for (float v : side[s]) norm += v * v;
            if (norm > bestNorm) {
                bestNorm = norm;
                best = s;
            }
        }
        assertTrue(best >= 0, "no active feature below layer " + layer + " at positions " + from + ".." + to);
        return best;
    }

    /** The head's score with features i and j scaled by (1 + a) and (1 + b), everything frozen and constrained. */
    private static double score(HookedTransformer model, Transcoders tc, int[] ids, ActiveFeatures f, int layer, int head, int query, int key,
                                int i, double a, int j, double b) {
        FeatureEdits edits = new FeatureEdits(List.of(
                new FeatureEdit(f.layer()[i], f.position()[i], f.feature()[i], FeatureEdit.Kind.SCALE, (float) (1 + a)),
                new FeatureEdit(f.layer()[j], f.position()[j], f.feature()[j], FeatureEdit.Kind.SCALE, (float) (1 + b))), true, 0, tc.nLayers() - 1);
        String scores = "blocks." + layer + ".attn.hook_attn_scores";
        ActivationCache c = new ActivationCache();
        FeatureInterventions.compile(model, tc, edits, ids).forward(ids, h -> {
            if (model.config().qkNorm()) freezeHeadNorms(model, ids, layer, h);
            h.cache(List.of(scores), c);
        });
        return c.get(scores).get(0, head, query, key);
    }

    /** Replaces layer's q and k norms by their linear form with the scale of the unedited run (per position and head). */
    private static void freezeHeadNorms(HookedTransformer model, int[] ids, int layer, Hooks.Builder h) {
        String p = "blocks." + layer + ".attn.";
        ActivationCache clean = new ActivationCache();
        model.runWithCache(new int[][] {ids}, List.of(p + "hook_q", p + "hook_k"), clean);
        TransformerWeights.Attention attn = model.weights().blocks().get(layer).attn();
        Tensor[] raw = new Tensor[2];
        h.add(p + "hook_q", (x, ctx) -> raw[0] = x);
        h.add(p + "hook_k", (x, ctx) -> raw[1] = x);
        h.add(p + "q_norm.hook_normalized", (x, ctx) -> frozen(raw[0], clean.get(p + "hook_q"), attn.qNorm().gain(), model.config()));
        h.add(p + "k_norm.hook_normalized", (x, ctx) -> frozen(raw[1], clean.get(p + "hook_k"), attn.kNorm().gain(), model.config()));
    }

    private static Tensor frozen(Tensor x, Tensor clean, Tensor gain, TransformerConfig cfg) {
        int dh = x.size(-1);
        float[] xd = x.data(), cd = clean.data(), g = gain.data(), out = new float[xd.length];
        for (int o = 0; o < xd.length; o += dh) {
            double ms = 0;
            for (int i = 0; i < dh; i++) ms += (double) cd[o + i] * cd[o + i];
            double inv = 1 / Math.sqrt(ms / dh + cfg.normEps());
            for (int i = 0; i < dh; i++) out[o + i] = (float) (xd[o + i] * inv * (g[i] + cfg.norm().gainOffset()));
        }
        return Tensor.of(out, x.shape());
    }
}
