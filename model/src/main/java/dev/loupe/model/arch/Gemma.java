package dev.loupe.model.arch;

import dev.loupe.core.kernels.Activation;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.TransformerConfig.LayerAttention;
import dev.loupe.model.TransformerConfig.NormKind;
import dev.loupe.model.TransformerConfig.Positions;
import dev.loupe.model.format.HfConfig;
import java.util.List;

/**
 * What Gemma 2 and Gemma 3 share: Gemma RMSNorm (1 + w), four norms per block, embeddings scaled by
 * sqrt(d_model), GeGLU (tanh GELU) MLP, attention scaled by {@code query_pre_attn_scalar}^-0.5, optional
 * attention and final-logit soft-caps, a {@code head_dim} of its own and tied embeddings. Missing fields take
 * Hugging Face's defaults for the architecture (a Gemma 3 multimodal checkpoint's {@code text_config} lists few).
 */
final class Gemma {
    /** Hugging Face's defaults (Gemma2Config / Gemma3TextConfig) for fields a config.json may leave out. */
    record Defaults(int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim, int maxPositions,
            double ropeTheta, int window, double attnSoftcap, double finalSoftcap) {}

    static final Defaults GEMMA2 = new Defaults(256000, 2304, 9216, 26, 8, 4, 256, 8192, 10000.0, 4096, 50.0, 30.0);
    static final Defaults GEMMA3 = new Defaults(262208, 2304, 9216, 26, 8, 4, 256, 131072, 1_000_000.0, 4096, 0, 0);

    /** The fields both read. */
    static final ConfigFields FIELDS = ConfigFields.reads("hidden_size", "intermediate_size", "num_hidden_layers",
            "num_attention_heads", "num_key_value_heads", "head_dim", "vocab_size", "max_position_embeddings", "rms_norm_eps",
            "hidden_activation", "hidden_act", "query_pre_attn_scalar", "rope_theta", "sliding_window", "attn_logit_softcapping",
            "final_logit_softcapping", "tie_word_embeddings", "attention_bias", "layer_types");

    private Gemma() {}

    /** Everything but the per-block attention, which {@code layers} gives (from the head width). */
    static TransformerConfig.Builder decoder(HfConfig c, String architecture, Defaults def,
            java.util.function.IntFunction<List<LayerAttention>> layers) {
        int d = c.intOr("hidden_size", def.hidden());
        int heads = c.intOr("num_attention_heads", def.heads());
        int dHead = c.intOr("head_dim", def.headDim());
        int nLayers = c.intOr("num_hidden_layers", def.layers());
        String act = c.has("hidden_activation") ? c.requireString("hidden_activation") : c.stringOr("hidden_act", "gelu_pytorch_tanh");
        return TransformerConfig.builder(architecture).dModel(d).nLayers(nLayers).nHeads(heads)
                .nKvHeads(c.intOr("num_key_value_heads", def.kvHeads())).dHead(dHead)
                .dMlp(c.intOr("intermediate_size", def.intermediate())).dVocab(c.intOr("vocab_size", def.vocab()))
                .nCtx(c.intOr("max_position_embeddings", def.maxPositions()))
                .norm(NormKind.GEMMA_RMS_NORM, (float) c.doubleOr("rms_norm_eps", 1e-6)).positions(Positions.ROTARY)
                .layers(layers.apply(dHead)).activation(Activation.fromHf(act)).gatedMlp(true).sublayerPostNorms(true)
                .embedScale((float) Math.sqrt(d))
                .attnScale((float) Math.pow(c.doubleOr("query_pre_attn_scalar", dHead), -0.5))
                .attnSoftcap((float) softcap(c, "attn_logit_softcapping", def.attnSoftcap()))
                .finalSoftcap((float) softcap(c, "final_logit_softcapping", def.finalSoftcap()));
    }

    /** A soft-cap: the config's value, none when it says null, Hugging Face's default when it says nothing. */
    private static double softcap(HfConfig c, String field, double fallback) {
        if (!c.mentions(field)) return fallback;
        return c.has(field) ? c.requireDouble(field) : 0;
    }
}
