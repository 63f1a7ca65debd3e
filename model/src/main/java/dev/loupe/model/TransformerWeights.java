package dev.loupe.model;

import dev.loupe.core.Tensor;
import java.util.List;

/**
 * Every parameter of a hooked transformer, in one canonical layout whatever the checkpoint's:
 * linear weights are [out, in] (PyTorch Linear), query/key/value projections are fused row-wise as
 * [q (n_heads·d_head); k (n_kv_heads·d_head); v (n_kv_heads·d_head)].
 */
public record TransformerWeights(Embedding embed, List<Block> blocks, Norm lnFinal, Linear unembed) {

    /**
     * Every distinct parameter tensor by a stable canonical name (e.g. {@code blocks.0.attn.qkv.weight}),
     * in model order; a tied unembedding appears once, as {@code embed.tokens}. For optimizers,
     * gradient checks and checkpoints.
     */
    public java.util.LinkedHashMap<String, Tensor> parameters() {
        var out = new java.util.LinkedHashMap<String, Tensor>();
        var seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<Tensor, Boolean>());
        java.util.function.BiConsumer<String, Tensor> put = (name, t) -> {
            if (t != null && seen.add(t)) out.put(name, t);
        };
        put.accept("embed.tokens", embed.tokens());
        put.accept("embed.positions", embed.positions());
        put.accept("embed.token_types", embed.tokenTypes());
        if (embed.norm() != null) {
            put.accept("embed.norm.gain", embed.norm().gain());
            put.accept("embed.norm.bias", embed.norm().bias());
        }
        for (int l = 0; l < blocks.size(); l++) {
            Block b = blocks.get(l);
            String p = "blocks." + l + ".";
            put.accept(p + "ln1.gain", b.ln1().gain());
            put.accept(p + "ln1.bias", b.ln1().bias());
            if (b.attn().qNorm() != null) {
                put.accept(p + "attn.q_norm.gain", b.attn().qNorm().gain());
                put.accept(p + "attn.k_norm.gain", b.attn().kNorm().gain());
            }
            put.accept(p + "attn.qkv.weight", b.attn().qkv().weight());
            put.accept(p + "attn.qkv.bias", b.attn().qkv().bias());
            put.accept(p + "attn.out.weight", b.attn().out().weight());
            put.accept(p + "attn.out.bias", b.attn().out().bias());
            if (b.ln1Post() != null) put.accept(p + "ln1_post.gain", b.ln1Post().gain());
            if (b.mlp() == null) continue; // attention-only: no ln2, no MLP
            put.accept(p + "ln2.gain", b.ln2().gain());
            put.accept(p + "ln2.bias", b.ln2().bias());
            if (b.mlp().gate() != null) {
                put.accept(p + "mlp.gate.weight", b.mlp().gate().weight());
                put.accept(p + "mlp.gate.bias", b.mlp().gate().bias());
            }
            put.accept(p + "mlp.in.weight", b.mlp().in().weight());
            put.accept(p + "mlp.in.bias", b.mlp().in().bias());
            put.accept(p + "mlp.out.weight", b.mlp().out().weight());
            put.accept(p + "mlp.out.bias", b.mlp().out().bias());
            if (b.ln2Post() != null) put.accept(p + "ln2_post.gain", b.ln2Post().gain());
        }
        if (lnFinal != null) {
            put.accept("ln_final.gain", lnFinal.gain());
            put.accept("ln_final.bias", lnFinal.bias());
        }
        if (unembed != null) {
            put.accept("unembed.weight", unembed.weight());
            put.accept("unembed.bias", unembed.bias());
        }
        return out;
    }

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

    /**
     * Fused q/k/v projection and the output projection; {@code qNorm}/{@code kNorm} are the per-head norms
     * (gain [d_head]) applied to queries and keys before rotary, or null (Gemma 3, Qwen 3 have them).
     */
    public record Attention(Linear qkv, Linear out, Norm qNorm, Norm kNorm) {
        public Attention(Linear qkv, Linear out) {
            this(qkv, out, null, null);
        }
    }

    /** {@code gate} is null for ungated MLPs; {@code in} is the up projection. */
    public record Mlp(Linear gate, Linear in, Linear out) {}

    /**
     * One block; {@code ln2} and {@code mlp} are null in an attention-only model. {@code ln1Post} and
     * {@code ln2Post} normalise the attention and MLP outputs before they join the residual (Gemma), else null.
     */
    public record Block(Norm ln1, Attention attn, Norm ln2, Mlp mlp, Norm ln1Post, Norm ln2Post) {
        public Block(Norm ln1, Attention attn, Norm ln2, Mlp mlp) {
            this(ln1, attn, ln2, mlp, null, null);
        }
    }
}
