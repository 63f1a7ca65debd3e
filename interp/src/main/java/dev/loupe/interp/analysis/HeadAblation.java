package dev.loupe.interp.analysis;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.Hooks;
import java.util.ArrayList;
import java.util.List;

/**
 * Zero-ablation of attention heads (their slice of {@code hook_z} set to 0 at every position) and the
 * next-token loss that results: the causal check that heads a detector found matter for the behaviour.
 */
public final class HeadAblation {
    private HeadAblation() {}

    /** A head by layer and index. */
    public record Head(int layer, int head) {
        @Override
        public String toString() {
            return layer + "." + head;
        }
    }

    /**
     * Mean next-token cross-entropy over predictions of tokens at positions ≥ {@code fromPosition}, with the
     * given heads zero-ablated (none: the unablated loss).
     */
    public static double loss(HookedTransformer model, int[][] tokens, List<Head> ablated, int fromPosition) {
        Hooks.Builder hooks = Hooks.builder(model.hooks());
        for (Head h : ablated) {
            hooks.add("blocks." + h.layer() + ".attn.hook_z", ActivationPatch.everyRow(null, tokens.length, ActivationPatch.ALL, h.head()));
        }
        Tensor logits = model.forward(tokens, hooks.build(), null, ForwardOptions.FULL);
        int pos = tokens[0].length, vocab = logits.size(2);
        float[] l = logits.data();
        double total = 0;
        int count = 0;
        for (int b = 0; b < tokens.length; b++) {
            for (int t = Math.max(1, fromPosition); t < pos; t++) {
                int o = (b * pos + t - 1) * vocab;
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < vocab; i++) max = Math.max(max, l[o + i]);
                double z = 0;
                for (int i = 0; i < vocab; i++) z += Math.exp(l[o + i] - max);
                total += max + Math.log(z) - l[o + tokens[b][t]];
                count++;
            }
        }
        return total / count;
    }

    /** The {@code k} highest-scoring heads of a [n_layers, n_heads] score grid, highest first. */
    public static List<Head> top(Tensor scores, int k) {
        List<Head> out = new ArrayList<>();
        for (int i : TopK.indices(scores.data(), k)) out.add(new Head(i / scores.size(1), i % scores.size(1)));
        return out;
    }
}
