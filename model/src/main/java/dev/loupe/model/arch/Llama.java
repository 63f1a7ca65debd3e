package dev.loupe.model.arch;

import dev.loupe.core.kernels.Activation;
import dev.loupe.core.kernels.RopeLayout;
import dev.loupe.core.kernels.Rotary;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.TransformerConfig.NormKind;
import dev.loupe.model.TransformerConfig.Positions;
import dev.loupe.model.TransformerWeights;
import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.ConfigException;
import dev.loupe.model.format.HfConfig;
import dev.loupe.model.format.Llama2cCheckpoint;
import java.util.List;

/**
 * The Llama family ({@code LlamaForCausalLM}, also Qwen2 and Mistral layouts): RMSNorm, rotary positions
 * (with Llama 3 or linear rope_scaling), grouped-query attention, SwiGLU MLP, tied or untied head,
 * optional q/k/v biases (Qwen2), and a sliding window where the config has one: Mistral (and any Llama-family
 * config with {@code sliding_window}) on every block; Qwen 2 only with {@code use_sliding_window}, from block
 * {@code max_window_layers} on; or as {@code layer_types} lists.
 */
final class Llama implements Architecture {
    /** The config fields of the Llama family (Qwen 3 reads the same). */
    static final ConfigFields FIELDS = ConfigFields.reads("hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim",
                    "intermediate_size", "num_hidden_layers", "vocab_size", "max_position_embeddings", "rms_norm_eps", "hidden_act",
                    "tie_word_embeddings", "rope_theta", "rope_scaling", "partial_rotary_factor", "attention_bias", "mlp_bias",
                    "sliding_window", "use_sliding_window", "max_window_layers", "layer_types", Llama2cCheckpoint.ROPE_LAYOUT_KEY)
            .and("is_llama_config") // SmolLM's marker, no behaviour
            .onlyAt("use_mrope", false).onlyAt("rope_interleaved", false);

    @Override
    public List<String> names() {
        return List.of("LlamaForCausalLM", "Qwen2ForCausalLM", "MistralForCausalLM", "llama", "qwen2", "mistral");
    }

    @Override
    public HookedTransformer build(Checkpoint ckpt) {
        HfConfig c = ckpt.config();
        FIELDS.check(c, c.architecture());
        TransformerConfig cfg = decoder(c).build();
        return new HookedTransformer(cfg, weights(ckpt, cfg));
    }

    /** Sizes, RMSNorm, SiLU-gated MLP, rotary and sliding windows of a Llama-family config.json. */
    static TransformerConfig.Builder decoder(HfConfig c) {
        int d = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        int dHead = c.intOr("head_dim", d / heads);
        int layers = c.requireInt("num_hidden_layers");
        return TransformerConfig.builder(c.architecture()).dModel(d).nLayers(layers).nHeads(heads)
                .nKvHeads(c.intOr("num_key_value_heads", heads)).dHead(dHead).dMlp(c.requireInt("intermediate_size"))
                .dVocab(c.requireInt("vocab_size")).nCtx(c.requireInt("max_position_embeddings"))
                .norm(NormKind.RMS_NORM, (float) c.doubleOr("rms_norm_eps", 1e-6)).positions(Positions.ROTARY)
                .layers(windows(c, layers, rotary(c, dHead)))
                .activation(Activation.fromHf(c.stringOr("hidden_act", "silu"))).gatedMlp(true);
    }

    static TransformerWeights weights(Checkpoint ckpt, TransformerConfig cfg) {
        WeightReader r = new WeightReader(ckpt.weights(), ckpt.source().toString());
        return LlamaLayout.read(r, cfg, "model.", "lm_head.weight", ckpt.config().booleanOr("tie_word_embeddings", false));
    }

    private static List<TransformerConfig.LayerAttention> windows(HfConfig c, int layers, Rotary rotary) {
        if (c.mentions("use_sliding_window")) { // Qwen 2/3: only when switched on, from max_window_layers on
            boolean on = c.booleanOr("use_sliding_window", false);
            int from = c.intOr("max_window_layers", 28);
            return AttentionLayers.of(c, layers, on ? c.requireInt("sliding_window") : 0, l -> on && l >= from, rotary, rotary);
        }
        int window = c.intOr("sliding_window", 0); // Mistral and any Llama-family config with a window: every block
        return AttentionLayers.of(c, layers, window, l -> window > 0, rotary, rotary);
    }

    static Rotary rotary(HfConfig c, int dHead) {
        return rotary(c, dHead, c.doubleOr("rope_theta", 10000.0));
    }

    /** The rotary table of base {@code theta} with the config's {@code rope_scaling} and {@code partial_rotary_factor}. */
    static Rotary rotary(HfConfig c, int dHead, double theta) {
        int rotaryDim = (int) (dHead * c.doubleOr("partial_rotary_factor", 1.0));
        float[] invFreq = Rotary.defaultInvFreq(rotaryDim, theta);
        var scaling = c.ropeScaling();
        if (scaling.isPresent()) {
            HfConfig s = scaling.get();
            String type = s.has("rope_type") ? s.requireString("rope_type") : s.stringOr("type", "default");
            invFreq = switch (type) {
                case "default" -> invFreq;
                case "llama3" -> Rotary.llama3Scaled(invFreq, s.requireDouble("factor"), s.requireDouble("low_freq_factor"),
                        s.requireDouble("high_freq_factor"), s.requireInt("original_max_position_embeddings"));
                case "linear" -> scale(invFreq, 1 / s.requireDouble("factor"));
                default -> throw new ConfigException(c.source() + ": field '" + c.qualified("rope_scaling") + "' has type '" + type
                        + "', which Loupe does not implement (supported: default, llama3, linear)");
            };
        }
        RopeLayout layout = Llama2cCheckpoint.ROPE_INTERLEAVED.equals(c.stringOr(Llama2cCheckpoint.ROPE_LAYOUT_KEY, ""))
                ? RopeLayout.INTERLEAVED : RopeLayout.ROTATE_HALF;
        return new Rotary(invFreq, rotaryDim, layout);
    }

    private static float[] scale(float[] f, double by) {
        float[] out = new float[f.length];
        for (int i = 0; i < f.length; i++) out[i] = (float) (f[i] * by);
        return out;
    }
}
