package dev.loupe.model.arch;

import dev.loupe.core.kernels.RopeLayout;
import dev.loupe.core.kernels.Rotary;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.ConfigException;
import dev.loupe.model.format.HfConfig;
import java.util.List;

/**
 * Gemma 3 text ({@code Gemma3ForCausalLM}, and the language tower of {@code Gemma3ForConditionalGeneration}, whose
 * config nests it under {@code text_config} and whose weights carry a {@code language_model.} prefix; the vision tower
 * is not loaded). As {@link Gemma} plus per-head q/k norms (Gemma RMSNorm over d_head, before rotary) and two rotary
 * tables: local blocks use {@code rope_local_base_freq} unscaled, global ones {@code rope_theta} with
 * {@code rope_scaling}. Every {@code sliding_window_pattern}-th block is global, the others local (or as
 * {@code layer_types} says).
 */
final class Gemma3 implements Architecture {
    private static final ConfigFields TEXT_FIELDS = Gemma.FIELDS.and("rope_local_base_freq", "rope_scaling", "sliding_window_pattern",
            "_sliding_window_pattern").onlyAt("use_bidirectional_attention", false);
    private static final ConfigFields MULTIMODAL_FIELDS = ConfigFields.reads("text_config", "vision_config", "boi_token_index",
            "eoi_token_index", "image_token_index", "mm_tokens_per_image", "tie_word_embeddings");
    private static final List<String> PREFIXES = List.of("model.", "language_model.model.", "model.language_model.");

    @Override
    public List<String> names() {
        return List.of("Gemma3ForCausalLM", "Gemma3ForConditionalGeneration", "gemma3_text", "gemma3");
    }

    @Override
    public HookedTransformer build(Checkpoint ckpt) {
        HfConfig top = ckpt.config();
        String architecture = top.architecture();
        HfConfig c = top;
        if (top.has("text_config")) {
            MULTIMODAL_FIELDS.check(top, architecture);
            c = top.object("text_config").orElseThrow();
        } else if (architecture.equals("Gemma3ForConditionalGeneration") || architecture.equals("gemma3")) {
            throw new ConfigException(top.source() + ": field 'text_config' is missing (needed for " + architecture + ")");
        }
        TEXT_FIELDS.check(c, architecture);
        HfConfig text = c;
        int layers = c.intOr("num_hidden_layers", Gemma.GEMMA3.layers());
        int window = c.intOr("sliding_window", Gemma.GEMMA3.window());
        int pattern = c.has("sliding_window_pattern") ? c.requireInt("sliding_window_pattern") : c.intOr("_sliding_window_pattern", 6);
        TransformerConfig cfg = Gemma.decoder(c, architecture, Gemma.GEMMA3, dHead -> {
            Rotary global = Llama.rotary(text, dHead, text.doubleOr("rope_theta", Gemma.GEMMA3.ropeTheta()));
            Rotary local = new Rotary(Rotary.defaultInvFreq(dHead, text.doubleOr("rope_local_base_freq", 10000.0)), dHead,
                    RopeLayout.ROTATE_HALF);
            return AttentionLayers.of(text, layers, window, l -> (l + 1) % pattern != 0, global, local);
        }).qkNorm(true).build();

        WeightReader r = new WeightReader(ckpt.weights(), ckpt.source().toString());
        String prefix = PREFIXES.stream().filter(p -> r.has(p + "embed_tokens.weight")).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(ckpt.source() + ": no embedding tensor found; expected one of "
                        + PREFIXES.stream().map(p -> p + "embed_tokens.weight").toList()));
        String head = prefix.equals("language_model.model.") ? "language_model.lm_head.weight" : "lm_head.weight";
        boolean tied = top.booleanOr("tie_word_embeddings", c.booleanOr("tie_word_embeddings", true));
        return new HookedTransformer(cfg, LlamaLayout.read(r, cfg, prefix, head, tied));
    }
}
