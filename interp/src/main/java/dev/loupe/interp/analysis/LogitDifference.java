package dev.loupe.interp.analysis;

import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;

/**
 * The patching metric: logit of the correct answer token minus logit of the wrong one, at the last
 * position. A positive value means the model prefers the correct answer.
 */
public record LogitDifference(int answer, int wrong) {

    /** One value per batch row, from logits [batch, pos, d_vocab] (pos may be 1: last-position logits). */
    public float[] of(Tensor logits) {
        int batch = logits.size(0), pos = logits.size(1), vocab = logits.size(2);
        check(vocab);
        float[] d = logits.data();
        float[] out = new float[batch];
        for (int b = 0; b < batch; b++) {
            int o = (b * pos + pos - 1) * vocab;
            out[b] = d[o + answer] - d[o + wrong];
        }
        return out;
    }

    /** The metric summed over batch rows, as a differentiable scalar [1] (for attribution patching). */
    public Tensor objective(Tensor logits) {
        check(logits.size(2));
        Tensor last = Ops.lastPosition(logits);
        return Ops.sum(Ops.add(Ops.columns(last, answer, 1), Ops.scale(Ops.columns(last, wrong, 1), -1f)));
    }

    private void check(int vocab) {
        if (answer < 0 || answer >= vocab || wrong < 0 || wrong >= vocab) {
            throw new IllegalArgumentException("answer token " + answer + " or wrong token " + wrong + " outside the vocabulary [0, " + vocab + ")");
        }
    }
}
