package dev.loupe.model.arch;

import dev.loupe.core.kernels.Activation;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.TransformerConfig.NormKind;
import dev.loupe.model.TransformerWeights;
import dev.loupe.model.TransformerWeights.Block;
import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.HfConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The BERT encoder ({@code BertModel}, e.g. sentence-transformers' all-MiniLM-L6-v2): learned absolute
 * positions plus token-type embeddings (the forward uses type 0), LayerNorm after the embeddings and
 * after each residual addition (post-norm), bidirectional attention, exact GELU. The forward returns the
 * last hidden state [batch, pos, d_model]; a pooler or task head in the checkpoint is ignored. Tensor
 * names may carry the {@code bert.} prefix that Hugging Face's task models put before the encoder.
 */
final class Bert implements Architecture {
    private static final ConfigFields FIELDS = ConfigFields.reads("hidden_size", "num_attention_heads", "intermediate_size",
                    "num_hidden_layers", "vocab_size", "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "hidden_act",
                    "position_embedding_type")
            .onlyAt("is_decoder", false).onlyAt("add_cross_attention", false);

    @Override
    public List<String> names() {
        return List.of("BertModel", "bert");
    }

    @Override
    public HookedTransformer build(Checkpoint ckpt) {
        HfConfig c = ckpt.config();
        FIELDS.check(c, c.architecture());
        String positions = c.stringOr("position_embedding_type", "absolute");
        if (!positions.equals("absolute")) {
            throw new IllegalArgumentException(c.source() + ": position_embedding_type '" + positions + "' is not supported (only absolute)");
        }
        int d = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        if (d % heads != 0) throw new IllegalArgumentException(c.source() + ": hidden_size " + d + " is not divisible by num_attention_heads " + heads);
        int dMlp = c.requireInt("intermediate_size");
        TransformerConfig cfg = TransformerConfig.builder(c.architecture()).dModel(d).nLayers(c.requireInt("num_hidden_layers"))
                .nHeads(heads).dMlp(dMlp).dVocab(c.requireInt("vocab_size")).nCtx(c.requireInt("max_position_embeddings"))
                .norm(NormKind.LAYER_NORM, (float) c.doubleOr("layer_norm_eps", 1e-12))
                .activation(Activation.fromHf(c.stringOr("hidden_act", "gelu")))
                .postNorm(true).causal(false).finalNorm(false).hasUnembed(false).build();

        WeightReader r = new WeightReader(ckpt.weights(), ckpt.source().toString());
        String p = r.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
        var embed = new TransformerWeights.Embedding(r.matrix(p + "embeddings.word_embeddings.weight", cfg.dVocab(), d),
                r.tensor(p + "embeddings.position_embeddings.weight", cfg.nCtx(), d),
                r.tensor(p + "embeddings.token_type_embeddings.weight", c.intOr("type_vocab_size", 2), d),
                r.norm(p + "embeddings.LayerNorm", d, true));
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            String b = p + "encoder.layer." + l + ".";
            var qkv = WeightReader.stack(List.of(r.linear(b + "attention.self.query", d, d),
                    r.linear(b + "attention.self.key", d, d), r.linear(b + "attention.self.value", d, d)));
            blocks.add(new Block(r.norm(b + "attention.output.LayerNorm", d, true),
                    new TransformerWeights.Attention(qkv, r.linear(b + "attention.output.dense", d, d)),
                    r.norm(b + "output.LayerNorm", d, true),
                    new TransformerWeights.Mlp(null, r.linear(b + "intermediate.dense", dMlp, d), r.linear(b + "output.dense", d, dMlp))));
        }
        return new HookedTransformer(cfg, new TransformerWeights(embed, blocks, null, null));
    }
}
