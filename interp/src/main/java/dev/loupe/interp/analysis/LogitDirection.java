package dev.loupe.interp.analysis;

import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerWeights.Linear;

/**
 * A direction in the final (normalized) residual whose dot product, plus a constant, is a logit or a
 * logit difference: the unembedding row of a token, or the difference of two rows.
 *
 * @param label e.g. "logit(Lily) - logit(Tim)"
 * @param answer the token whose logit counts positively
 * @param wrong the token whose logit is subtracted, or -1
 * @param vector [d_model]
 * @param bias the unembedding bias of the token (or difference of biases); 0 without one
 */
public record LogitDirection(String label, int answer, int wrong, float[] vector, float bias) {

    /** logit(answer) − logit(wrong), or logit(answer) alone when {@code wrong} is -1. */
    public static LogitDirection of(HookedTransformer model, int answer, int wrong, String label) {
        Linear u = model.weights().unembed();
        if (u == null) throw new IllegalArgumentException(model.config().architecture() + " has no unembedding: no logit direction");
        int vocab = u.out(), d = u.in();
        for (int t : new int[] {answer, wrong}) {
            if (t < -1 || t >= vocab || (t == -1 && t == answer)) {
                throw new IllegalArgumentException("token " + t + " outside the vocabulary [0, " + vocab + ")");
            }
        }
        float[] b = u.bias() == null ? null : u.bias().data();
        float[] v = new float[d], other = new float[d];
        u.weight().row(answer, v, 0);
        if (wrong >= 0) u.weight().row(wrong, other, 0);
        for (int i = 0; i < d; i++) v[i] -= other[i];
        float bias = b == null ? 0 : b[answer] - (wrong < 0 ? 0 : b[wrong]);
        return new LogitDirection(label, answer, wrong, v, bias);
    }

    /** The value along this direction read from logits [batch, pos, d_vocab] at batch row 0, position {@code p}. */
    public float valueIn(Tensor logits, int p) {
        int vocab = logits.size(2);
        float[] l = logits.data();
        return l[p * vocab + answer] - (wrong < 0 ? 0 : l[p * vocab + wrong]);
    }
}
