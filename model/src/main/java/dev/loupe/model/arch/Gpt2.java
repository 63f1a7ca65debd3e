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
 * GPT-2 ({@code GPT2LMHeadModel}): learned positions, pre-LayerNorm, Conv1D weights stored [in, out], tied unembedding.
 * {@code "loupe_attn_only": true} marks an attention-only model stored as standard GPT-2 with all-zero MLPs
 * (so every GPT-2 implementation computes the same function); Loupe checks the MLP output projection is zero
 * and leaves ln_2 and the MLP out.
 */
final class Gpt2 implements Architecture {
    /** The config.json extension field that marks an attention-only model. */
    static final String ATTN_ONLY = "loupe_attn_only";

    private static final ConfigFields FIELDS = ConfigFields.reads("n_embd", "hidden_size", "n_head", "num_attention_heads", "n_inner",
                    "n_layer", "num_hidden_layers", "vocab_size", "n_positions", "n_ctx", "layer_norm_epsilon", "activation_function",
                    ATTN_ONLY, "tie_word_embeddings", "reorder_and_upcast_attn")
            .onlyAt("scale_attn_weights", true).onlyAt("scale_attn_by_inverse_layer_idx", false).onlyAt("add_cross_attention", false);

    @Override
    public List<String> names() {
        return List.of("GPT2LMHeadModel", "GPT2Model", "gpt2");
    }

    @Override
    public HookedTransformer build(Checkpoint ckpt) {
        HfConfig c = ckpt.config();
        FIELDS.check(c, c.architecture());
        int d = c.requireInt("n_embd", "hidden_size");
        int heads = c.requireInt("n_head", "num_attention_heads");
        if (d % heads != 0) throw new IllegalArgumentException(c.source() + ": n_embd " + d + " is not divisible by n_head " + heads);
        int dMlp = c.intOr("n_inner", 4 * d);
        boolean attnOnly = c.booleanOr(ATTN_ONLY, false);
        TransformerConfig cfg = TransformerConfig.builder(c.architecture()).dModel(d).nLayers(c.requireInt("n_layer", "num_hidden_layers"))
                .nHeads(heads).dMlp(attnOnly ? 0 : dMlp).dVocab(c.requireInt("vocab_size")).nCtx(c.requireInt("n_positions", "n_ctx"))
                .norm(NormKind.LAYER_NORM, (float) c.doubleOr("layer_norm_epsilon", 1e-5))
                .activation(Activation.fromHf(c.stringOr("activation_function", "gelu_new"))).build();

        WeightReader r = new WeightReader(ckpt.weights(), ckpt.source().toString());
        String p = r.has("transformer.wte.weight") ? "transformer." : "";
        var embed = new TransformerWeights.Embedding(r.matrix(p + "wte.weight", cfg.dVocab(), d),
                r.tensor(p + "wpe.weight", cfg.nCtx(), d), null, null);
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            String b = p + "h." + l + ".";
            var attn = new TransformerWeights.Attention(r.conv1d(b + "attn.c_attn", d, 3 * d), r.conv1d(b + "attn.c_proj", d, d));
            if (cfg.attnOnly()) {
                requireZero(r.tensor(b + "mlp.c_proj.weight", dMlp, d), c.source(), b + "mlp.c_proj.weight");
                requireZero(r.optional(b + "mlp.c_proj.bias", d), c.source(), b + "mlp.c_proj.bias");
                blocks.add(new Block(r.norm(b + "ln_1", d, true), attn, null, null));
                continue;
            }
            blocks.add(new Block(r.norm(b + "ln_1", d, true), attn, r.norm(b + "ln_2", d, true),
                    new TransformerWeights.Mlp(null, r.conv1d(b + "mlp.c_fc", d, dMlp), r.conv1d(b + "mlp.c_proj", dMlp, d))));
        }
        var unembed = r.has("lm_head.weight")
                ? new TransformerWeights.Linear(r.matrix("lm_head.weight", cfg.dVocab(), d), null)
                : new TransformerWeights.Linear(embed.tokens(), null);
        return new HookedTransformer(cfg, new TransformerWeights(embed, blocks, r.norm(p + "ln_f", d, true), unembed));
    }

    private static void requireZero(dev.loupe.core.Tensor t, String source, String name) {
        if (t == null) return;
        for (float v : t.data()) {
            if (v != 0f) {
                throw new IllegalArgumentException(source + ": " + ATTN_ONLY + " is true but '" + name
                        + "' is not zero, so other GPT-2 implementations would compute an MLP; expected all zeros");
            }
        }
    }
}
