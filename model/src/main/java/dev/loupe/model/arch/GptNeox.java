package dev.loupe.model.arch;

import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.Activation;
import dev.loupe.core.kernels.RopeLayout;
import dev.loupe.core.kernels.Rotary;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.TransformerConfig.NormKind;
import dev.loupe.model.TransformerWeights;
import dev.loupe.model.TransformerWeights.Block;
import dev.loupe.model.TransformerWeights.Linear;
import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.HfConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * GPT-NeoX / Pythia ({@code GPTNeoXForCausalLM}): parallel residual, partial rotary (rotate-half on the
 * first rotary_pct of each head), fused query_key_value laid out per head as [q, k, v], untied embed_out.
 */
final class GptNeox implements Architecture {
    private static final ConfigFields FIELDS = ConfigFields.reads("hidden_size", "num_attention_heads", "intermediate_size",
            "num_hidden_layers", "vocab_size", "max_position_embeddings", "layer_norm_eps", "hidden_act", "use_parallel_residual",
            "rotary_pct", "rotary_emb_base", "rope_theta", "tie_word_embeddings", "attention_bias");

    @Override
    public List<String> names() {
        return List.of("GPTNeoXForCausalLM", "gpt_neox");
    }

    @Override
    public HookedTransformer build(Checkpoint ckpt) {
        HfConfig c = ckpt.config();
        FIELDS.check(c, c.architecture());
        int d = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        int dHead = d / heads;
        int dMlp = c.requireInt("intermediate_size");
        int rotaryDim = (int) (dHead * c.doubleOr("rotary_pct", 1.0));
        double base = c.has("rotary_emb_base") ? c.requireDouble("rotary_emb_base") : c.doubleOr("rope_theta", 10000.0);
        TransformerConfig cfg = TransformerConfig.builder(c.architecture()).dModel(d).nLayers(c.requireInt("num_hidden_layers"))
                .nHeads(heads).dHead(dHead).dMlp(dMlp).dVocab(c.requireInt("vocab_size")).nCtx(c.requireInt("max_position_embeddings"))
                .norm(NormKind.LAYER_NORM, (float) c.doubleOr("layer_norm_eps", 1e-5))
                .rotary(new Rotary(Rotary.defaultInvFreq(rotaryDim, base), rotaryDim, RopeLayout.ROTATE_HALF))
                .activation(Activation.fromHf(c.stringOr("hidden_act", "gelu")))
                .parallelResidual(c.booleanOr("use_parallel_residual", true)).build();

        WeightReader r = new WeightReader(ckpt.weights(), ckpt.source().toString());
        var embed = new TransformerWeights.Embedding(r.matrix("gpt_neox.embed_in.weight", cfg.dVocab(), d), null, null, null);
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            String b = "gpt_neox.layers." + l + ".";
            blocks.add(new Block(r.norm(b + "input_layernorm", d, true),
                    new TransformerWeights.Attention(perHeadToFused(r.linear(b + "attention.query_key_value", 3 * d, d), heads, dHead),
                            r.linear(b + "attention.dense", d, d)),
                    r.norm(b + "post_attention_layernorm", d, true),
                    new TransformerWeights.Mlp(null, r.linear(b + "mlp.dense_h_to_4h", dMlp, d), r.linear(b + "mlp.dense_4h_to_h", d, dMlp))));
        }
        boolean tied = c.booleanOr("tie_word_embeddings", false);
        var unembed = new Linear(tied ? embed.tokens() : r.matrix("embed_out.weight", cfg.dVocab(), d), null);
        var weights = new TransformerWeights(embed, blocks, r.norm("gpt_neox.final_layer_norm", d, true), unembed);
        return new HookedTransformer(cfg, weights);
    }

    /** Rows [h0: q k v, h1: q k v, ...] → [q (all heads); k (all heads); v (all heads)], in the packed form. */
    private static Linear perHeadToFused(Linear qkv, int heads, int dHead) {
        int[] order = new int[qkv.out()];
        for (int h = 0; h < heads; h++) {
            for (int part = 0; part < 3; part++) {
                for (int i = 0; i < dHead; i++) order[part * heads * dHead + h * dHead + i] = (h * 3 + part) * dHead + i;
            }
        }
        Tensor bias = null;
        if (qkv.bias() != null) {
            float[] b = qkv.bias().data(), ob = new float[b.length];
            for (int i = 0; i < order.length; i++) ob[i] = b[order[i]];
            bias = Tensor.of(ob, qkv.out());
        }
        return new Linear(Tensor.packed(qkv.weight().packedTranspose().permuteRows(order)), bias);
    }
}
