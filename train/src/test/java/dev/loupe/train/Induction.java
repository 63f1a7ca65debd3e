package dev.loupe.train;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.Hooks;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A small induction-head detector for tests: sequences of {@code half} random tokens repeated twice
 * (after a start token). Tokens are drawn from the merged ids of a trained BPE (256 up to the end-of-text
 * id), which all occur in the training data; most raw byte tokens never do, and their embeddings are noise. An induction head at a token in the second copy attends to the token just after
 * that token's first occurrence; its score is the mean attention weight on that position.
 */
final class Induction {
    /**
     * Per-head induction scores [layer][head], previous-token scores (mean attention to the position just before,
     * the other half of the circuit), and the mean next-token loss over the first and the second copy.
     */
    record Result(double[][] scores, double[][] previousToken, double firstHalfLoss, double secondHalfLoss) {
        double best() {
            double b = 0;
            for (double[] l : scores) for (double s : l) b = Math.max(b, s);
            return b;
        }
    }

    private Induction() {}

    static Result measure(HookedTransformer model, int startToken, int half, int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int vocab = model.config().dVocab();
        int[][] tokens = new int[batch][2 * half + 1];
        for (int[] row : tokens) {
            row[0] = startToken;
            for (int i = 0; i < half; i++) row[1 + i] = row[1 + half + i] = 256 + rng.nextInt(vocab - 1 - 256);
        }
        Map<Integer, Tensor> patterns = new HashMap<>();
        Hooks hooks = Hooks.builder(model.hooks()).add("blocks.*.attn.hook_pattern", (x, ctx) -> {
            patterns.put(ctx.hook().layer(), x);
            return x;
        }).build();
        Tensor logits = model.forward(tokens, hooks, null, ForwardOptions.FULL);
        int layers = model.config().nLayers(), heads = model.config().nHeads(), pos = 2 * half + 1;
        double[][] scores = new double[layers][heads], previous = new double[layers][heads];
        for (int l = 0; l < layers; l++) {
            float[] p = patterns.get(l).data(); // [batch, head, query, key]
            for (int h = 0; h < heads; h++) {
                double sum = 0;
                for (int b = 0; b < batch; b++) {
                    for (int q = half + 1; q < pos; q++) sum += p[((b * heads + h) * pos + q) * pos + (q - half + 1)];
                }
                scores[l][h] = sum / (batch * half);
                double prev = 0;
                for (int b = 0; b < batch; b++) {
                    for (int q = 1; q < pos; q++) prev += p[((b * heads + h) * pos + q) * pos + q - 1];
                }
                previous[l][h] = prev / (batch * (pos - 1));
            }
        }
        return new Result(scores, previous, loss(logits, tokens, 1, half), loss(logits, tokens, half + 1, pos - 1));
    }

    /** Mean cross-entropy of predicting token p+1 at positions p in [from, to). */
    private static double loss(Tensor logits, int[][] tokens, int from, int to) {
        int vocab = logits.size(2), pos = logits.size(1);
        float[] d = logits.data();
        double total = 0;
        for (int b = 0; b < tokens.length; b++) {
            for (int p = from; p < to; p++) {
                int o = (b * pos + p) * vocab;
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int i = 0; i < vocab; i++) max = Math.max(max, d[o + i]);
                for (int i = 0; i < vocab; i++) sum += Math.exp(d[o + i] - max);
                total += max + Math.log(sum) - d[o + tokens[b][p + 1]];
            }
        }
        return total / (tokens.length * (to - from));
    }
}
