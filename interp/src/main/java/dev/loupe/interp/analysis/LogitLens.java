package dev.loupe.interp.analysis;

import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.ActivationCache;
import java.util.ArrayList;
import java.util.List;

/**
 * The logit lens: reads the residual stream after every block (and before the first) through the model's
 * own head (final norm, then unembedding), as if the model stopped there. Shows at which depth a prediction
 * forms. At the last block the lens is the model's output.
 */
public final class LogitLens {
    private LogitLens() {}

    /** The residual hooks the lens reads, in depth order: {@code blocks.0.hook_resid_pre}, then each block's {@code hook_resid_post}. */
    public static List<String> hooks(int nLayers) {
        List<String> h = new ArrayList<>(nLayers + 1);
        h.add("blocks.0.hook_resid_pre");
        for (int l = 0; l < nLayers; l++) h.add("blocks." + l + ".hook_resid_post");
        return h;
    }

    /**
     * @param target token whose probability and rank to follow, or -1 for none
     * @param topK how many most likely tokens to keep per depth and position
     */
    public static LensResult run(HookedTransformer model, int[] tokens, int target, int topK) {
        int vocab = model.config().dVocab();
        if (target >= vocab) throw new IllegalArgumentException("target token " + target + " outside the vocabulary [0, " + vocab + ")");
        if (topK < 1) throw new IllegalArgumentException("top-k must be at least 1, got " + topK);
        int k = Math.min(topK, vocab);
        List<String> hooks = hooks(model.config().nLayers());
        ActivationCache cache = new ActivationCache();
        model.runWithCache(new int[][] {tokens}, hooks, cache);
        int depths = hooks.size(), pos = tokens.length;
        int[][][] topIds = new int[depths][pos][k];
        float[] topProbs = new float[depths * pos * k];
        float[] targetProb = new float[depths * pos];
        int[][] targetRank = new int[depths][pos];
        for (int d = 0; d < depths; d++) {
            float[] logits = model.unembed(cache.get(hooks.get(d))).data();
            for (int p = 0; p < pos; p++) {
                float[] probs = softmax(logits, p * vocab, vocab);
                int[] top = TopK.indices(probs, k);
                for (int i = 0; i < k; i++) {
                    topIds[d][p][i] = top[i];
                    topProbs[(d * pos + p) * k + i] = probs[top[i]];
                }
                if (target >= 0) {
                    targetProb[d * pos + p] = probs[target];
                    targetRank[d][p] = TopK.rank(probs, target);
                }
            }
        }
        return new LensResult(hooks, tokens.clone(), target, topIds, Tensor.of(topProbs, depths, pos, k),
                target >= 0 ? Tensor.of(targetProb, depths, pos) : null, target >= 0 ? targetRank : null);
    }

    private static float[] softmax(float[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(x[off + i] - max);
        float[] p = new float[n];
        for (int i = 0; i < n; i++) p[i] = (float) (Math.exp(x[off + i] - max) / sum);
        return p;
    }
}
