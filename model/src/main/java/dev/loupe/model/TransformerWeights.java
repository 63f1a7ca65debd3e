package dev.loupe.model;

import dev.loupe.core.Tensor;
import java.util.List;

/**
 * Every parameter of a hooked transformer, in one canonical layout whatever the checkpoint's:
 * linear weights are [out, in] (PyTorch Linear), query/key/value projections are fused row-wise as
 * [q (n_heads·d_head); k (n_kv_heads·d_head); v (n_kv_heads·d_head)].
 */
public record TransformerWeights(Embedding embed, List<Block> blocks, Norm lnFinal, Linear unembed) {

    /** Token table [d_vocab, d_model]; learned positions [n_ctx, d_model]; token types and an embedding norm (BERT). */
    public record Embedding(Tensor tokens, Tensor positions, Tensor tokenTypes, Norm norm) {}

    /** A norm's gain [d] and bias [d] (bias null for RMSNorm). */
    public record Norm(Tensor gain, Tensor bias) {}

    /** weight [out, in] and bias [out] or null. */
    public record Linear(Tensor weight, Tensor bias) {
        public int in() {
            return weight.size(1);
        }

        public int out() {
            return weight.size(0);
        }
    }

    /** Fused q/k/v projection and the output projection. */
    public record Attention(Linear qkv, Linear out) {}

    /** {@code gate} is null for ungated MLPs; {@code in} is the up projection. */
    public record Mlp(Linear gate, Linear in, Linear out) {}

    public record Block(Norm ln1, Attention attn, Norm ln2, Mlp mlp) {}
}
