package dev.loupe.model.arch;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.HfConfig;
import java.util.List;

/**
 * Qwen 3 dense ({@code Qwen3ForCausalLM}): the Llama layout with per-head RMSNorms of queries and keys
 * ({@code self_attn.q_norm}/{@code k_norm}, w·x̂ over d_head, before rotary), an explicit {@code head_dim}, no q/k/v
 * biases, and Qwen's sliding-window switch ({@code use_sliding_window}, {@code max_window_layers}, or {@code layer_types}).
 */
final class Qwen3 implements Architecture {
    @Override
    public List<String> names() {
        return List.of("Qwen3ForCausalLM", "qwen3");
    }

    @Override
    public HookedTransformer build(Checkpoint ckpt) {
        HfConfig c = ckpt.config();
        Llama.FIELDS.check(c, c.architecture());
        TransformerConfig cfg = Llama.decoder(c).qkNorm(true).build();
        return new HookedTransformer(cfg, Llama.weights(ckpt, cfg));
    }
}
