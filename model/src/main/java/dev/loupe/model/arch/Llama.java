package dev.loupe.model.arch;

import dev.loupe.core.kernels.Activation;
import dev.loupe.core.kernels.RopeLayout;
import dev.loupe.core.kernels.Rotary;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.TransformerConfig.NormKind;
import dev.loupe.model.TransformerConfig.Positions;
import dev.loupe.model.TransformerWeights;
import dev.loupe.model.TransformerWeights.Block;
import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.HfConfig;
import dev.loupe.model.format.Llama2cCheckpoint;
import java.util.ArrayList;
import java.util.List;

/**
 * The Llama family ({@code LlamaForCausalLM}, also Qwen2 and Mistral layouts): RMSNorm, rotary positions
 * (with Llama 3 or linear rope_scaling), grouped-query attention, SwiGLU MLP, tied or untied head,
 * optional q/k/v biases (Qwen2).
 */
final class Llama implements Architecture {
    @Override
    public List<String> names() {
        return List.of("LlamaForCausalLM", "Qwen2ForCausalLM", "MistralForCausalLM", "llama", "qwen2", "mistral");
    }

    @Override
    public HookedTransformer build(Checkpoint ckpt) {
        HfConfig c = ckpt.config();
        int d = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        int kvHeads = c.intOr("num_key_value_heads", heads);
        int dHead = c.intOr("head_dim", d / heads);
        int dMlp = c.requireInt("intermediate_size");
        TransformerConfig cfg = new TransformerConfig(c.architecture(), d, c.requireInt("num_hidden_layers"), heads, kvHeads,
                dHead, dMlp, c.requireInt("vocab_size"), c.requireInt("max_position_embeddings"),
                NormKind.RMS_NORM, (float) c.doubleOr("rms_norm_eps", 1e-6), Positions.ROTARY,
                Activation.fromHf(c.stringOr("hidden_act", "silu")), true, false, false, true, true, true);

        WeightReader r = new WeightReader(ckpt.weights(), ckpt.source().toString());
        var embed = new TransformerWeights.Embedding(r.matrix("model.embed_tokens.weight", cfg.dVocab(), d), null, null, null);
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            String b = "model.layers." + l + ".";
            var qkv = WeightReader.stack(List.of(r.linear(b + "self_attn.q_proj", heads * dHead, d),
                    r.linear(b + "self_attn.k_proj", kvHeads * dHead, d), r.linear(b + "self_attn.v_proj", kvHeads * dHead, d)));
            blocks.add(new Block(r.norm(b + "input_layernorm", d, false),
                    new TransformerWeights.Attention(qkv, r.linear(b + "self_attn.o_proj", d, heads * dHead)),
                    r.norm(b + "post_attention_layernorm", d, false),
                    new TransformerWeights.Mlp(r.linear(b + "mlp.gate_proj", dMlp, d), r.linear(b + "mlp.up_proj", dMlp, d),
                            r.linear(b + "mlp.down_proj", d, dMlp))));
        }
        boolean tied = c.booleanOr("tie_word_embeddings", false) || !r.has("lm_head.weight");
        var unembed = new TransformerWeights.Linear(tied ? embed.tokens() : r.matrix("lm_head.weight", cfg.dVocab(), d), null);
        var weights = new TransformerWeights(embed, blocks, r.norm("model.norm", d, false), unembed);
        return new HookedTransformer(cfg, weights, rotary(c, dHead));
    }

    static Rotary rotary(HfConfig c, int dHead) {
        int rotaryDim = (int) (dHead * c.doubleOr("partial_rotary_factor", 1.0));
        float[] invFreq = Rotary.defaultInvFreq(rotaryDim, c.doubleOr("rope_theta", 10000.0));
        var scaling = c.ropeScaling();
        if (scaling.isPresent()) {
            HfConfig s = scaling.get();
            String type = s.has("rope_type") ? s.requireString("rope_type") : s.stringOr("type", "default");
            invFreq = switch (type) {
                case "default" -> invFreq;
                case "llama3" -> Rotary.llama3Scaled(invFreq, s.requireDouble("factor"), s.requireDouble("low_freq_factor"),
                        s.requireDouble("high_freq_factor"), s.requireInt("original_max_position_embeddings"));
                case "linear" -> scale(invFreq, 1 / s.requireDouble("factor"));
                default -> throw new IllegalArgumentException(c.source() + ": rope_scaling type '" + type
                        + "' is not supported (supported: llama3, linear)");
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
