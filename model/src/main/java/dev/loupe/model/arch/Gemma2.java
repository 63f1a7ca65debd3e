package dev.loupe.model.arch;

import dev.loupe.core.kernels.Rotary;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.HfConfig;
import java.util.List;

/**
 * Gemma 2 ({@code Gemma2ForCausalLM}): see {@link Gemma}; local (sliding-window) attention on even blocks and global
 * on odd ones (or as {@code layer_types} says), one rotary table, attention soft-cap 50 and final soft-cap 30 unless
 * the config says otherwise.
 */
final class Gemma2 implements Architecture {
    private static final ConfigFields FIELDS = Gemma.FIELDS.and("sliding_window_size");

    @Override
    public List<String> names() {
        return List.of("Gemma2ForCausalLM", "gemma2");
    }

    @Override
    public HookedTransformer build(Checkpoint ckpt) {
        HfConfig c = ckpt.config();
        FIELDS.check(c, c.architecture());
        int window = c.has("sliding_window") ? c.requireInt("sliding_window") : c.intOr("sliding_window_size", Gemma.GEMMA2.window());
        int layers = c.intOr("num_hidden_layers", Gemma.GEMMA2.layers());
        TransformerConfig cfg = Gemma.decoder(c, c.architecture(), Gemma.GEMMA2, dHead -> {
            Rotary rotary = Llama.rotary(c, dHead, c.doubleOr("rope_theta", Gemma.GEMMA2.ropeTheta()));
            return AttentionLayers.of(c, layers, window, l -> l % 2 == 0, rotary, rotary);
        }).build();
        WeightReader r = new WeightReader(ckpt.weights(), ckpt.source().toString());
        return new HookedTransformer(cfg, LlamaLayout.read(r, cfg, "model.", "lm_head.weight", c.booleanOr("tie_word_embeddings", true)));
    }
}
