package dev.loupe.model.arch;

import dev.loupe.model.TransformerConfig;
import dev.loupe.model.TransformerWeights;
import dev.loupe.model.TransformerWeights.Block;
import dev.loupe.model.TransformerWeights.Linear;
import dev.loupe.model.TransformerWeights.Norm;
import java.util.ArrayList;
import java.util.List;

/**
 * The Hugging Face Llama-style decoder layout that Llama, Mistral, Qwen 2/3 and Gemma 2/3 share:
 * {@code {prefix}embed_tokens}, {@code {prefix}layers.{l}.self_attn.{q,k,v,o}_proj} (with {@code q_norm}/{@code k_norm}
 * when the config has per-head norms), {@code mlp.{gate,up,down}_proj}, {@code {prefix}norm} and an optional
 * {@code lm_head}. Llama names its two block norms {@code input_layernorm} and {@code post_attention_layernorm};
 * Gemma has four: {@code input_layernorm}, {@code post_attention_layernorm} (after attention, ln1_post),
 * {@code pre_feedforward_layernorm} (ln2) and {@code post_feedforward_layernorm} (ln2_post).
 */
final class LlamaLayout {
    private LlamaLayout() {}

    /**
     * @param prefix where the decoder's tensors start, e.g. {@code model.} or {@code language_model.model.}
     * @param head the untied unembedding's name, e.g. {@code lm_head.weight}
     * @param tied whether the config ties the unembedding to the embedding (also when the checkpoint has no head)
     */
    static TransformerWeights read(WeightReader r, TransformerConfig cfg, String prefix, String head, boolean tied) {
        int d = cfg.dModel(), h = cfg.nHeads(), kv = cfg.nKvHeads(), dh = cfg.dHead(), dMlp = cfg.dMlp();
        boolean gemma = cfg.sublayerPostNorms();
        var embed = new TransformerWeights.Embedding(r.matrix(prefix + "embed_tokens.weight", cfg.dVocab(), d), null, null, null);
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            String b = prefix + "layers." + l + ".";
            var qkv = WeightReader.stack(List.of(r.linear(b + "self_attn.q_proj", h * dh, d),
                    r.linear(b + "self_attn.k_proj", kv * dh, d), r.linear(b + "self_attn.v_proj", kv * dh, d)));
            Linear out = r.linear(b + "self_attn.o_proj", d, h * dh);
            var attn = cfg.qkNorm()
                    ? new TransformerWeights.Attention(qkv, out, r.norm(b + "self_attn.q_norm", dh, false), r.norm(b + "self_attn.k_norm", dh, false))
                    : new TransformerWeights.Attention(qkv, out);
            var mlp = new TransformerWeights.Mlp(r.linear(b + "mlp.gate_proj", dMlp, d), r.linear(b + "mlp.up_proj", dMlp, d),
                    r.linear(b + "mlp.down_proj", d, dMlp));
            Norm ln1 = r.norm(b + "input_layernorm", d, false);
            blocks.add(gemma
                    ? new Block(ln1, attn, r.norm(b + "pre_feedforward_layernorm", d, false), mlp,
                            r.norm(b + "post_attention_layernorm", d, false), r.norm(b + "post_feedforward_layernorm", d, false))
                    : new Block(ln1, attn, r.norm(b + "post_attention_layernorm", d, false), mlp));
        }
        boolean useEmbed = tied || !r.has(head);
        var unembed = new Linear(useEmbed ? embed.tokens() : r.matrix(head, cfg.dVocab(), d), null);
        return new TransformerWeights(embed, blocks, r.norm(prefix + "norm", d, false), unembed);
    }
}
