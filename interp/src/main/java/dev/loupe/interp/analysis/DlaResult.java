package dev.loupe.interp.analysis;

import dev.loupe.core.Tensor;
import java.util.List;

/**
 * Direct logit attribution at one position.
 *
 * @param direction what was attributed, e.g. "logit(Lily) - logit(Tim)"
 * @param components component names: "embed", "pos_embed" (learned positions), "L{l} attn", "L{l} mlp"
 * @param contributions [components] each component's part
 * @param heads [n_layers, n_heads] each head's part (a layer's heads plus its attention bias make its "attn" part)
 * @param attnBias [n_layers] the attention output bias's part
 * @param biasTerm the final norm's bias and the unembedding bias along the direction
 * @param actual the model's own value along the direction at this position
 */
public record DlaResult(String direction, int position, List<String> components, Tensor contributions, Tensor heads, Tensor attnBias,
        float biasTerm, float actual) {

    /** Sum of all component parts and the bias term: equals {@link #actual} up to float rounding. */
    public double total() {
        double s = biasTerm;
        for (float v : contributions.data()) s += v;
        return s;
    }
}
