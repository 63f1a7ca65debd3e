package dev.loupe.model;

import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.Attention;
import dev.loupe.core.kernels.Rotary;
import dev.loupe.model.TransformerConfig.NormKind;
import dev.loupe.model.TransformerConfig.Positions;
import dev.loupe.model.TransformerWeights.Block;
import dev.loupe.model.TransformerWeights.Linear;
import dev.loupe.model.TransformerWeights.Norm;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.HookIndex;
import dev.loupe.model.hooks.HookIndex.Placement;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.model.hooks.Site;
import java.util.ArrayList;
import java.util.List;

/**
 * A transformer with a named hook at every internal activation. One forward pass, read top to bottom,
 * serves every supported architecture; the differences (norm kind, positions, gated MLP, parallel or
 * post-norm residual) are switches in {@link TransformerConfig}. Stateless between calls: hooks and KV
 * caches are passed in, so one instance serves many threads.
 */
public final class HookedTransformer {
    private final TransformerConfig cfg;
    private final TransformerWeights w;
    private final Rotary rotary;
    private final HookIndex hookIndex;

    public HookedTransformer(TransformerConfig cfg, TransformerWeights weights, Rotary rotary) {
        if ((cfg.positions() == Positions.ROTARY) != (rotary != null)) {
            throw new IllegalArgumentException("rotary embedding must be given exactly when positions are rotary");
        }
        this.cfg = cfg;
        this.w = weights;
        this.rotary = rotary;
        this.hookIndex = new HookIndex(hookOrder(cfg, weights.embed()), cfg.nLayers(), this::shapeOf);
    }

    public TransformerConfig config() {
        return cfg;
    }

    public TransformerWeights weights() {
        return w;
    }

    /** Hook points in forward order, with shapes. */
    public HookIndex hooks() {
        return hookIndex;
    }

    /** Logits [batch, pos, d_vocab] with no hooks. */
    public Tensor forward(int[][] tokens) {
        return forward(tokens, Hooks.none(hookIndex), null, ForwardOptions.FULL);
    }

    /** Logits, with every activation selected by {@code patterns} recorded into {@code cache}. */
    public Tensor runWithCache(int[][] tokens, List<String> patterns, ActivationCache cache) {
        return forward(tokens, Hooks.builder(hookIndex).cache(patterns, cache).build(), null, ForwardOptions.FULL);
    }

    /**
     * The forward pass.
     *
     * @param tokens [batch][pos] token ids, rows of equal length
     * @param kv cache of earlier positions (appended to and advanced), or null for a stand-alone pass
     * @return logits [batch, pos, d_vocab] ([batch, 1, d_vocab] with lastPositionLogits), or the residual
     *     [batch, pos, d_model] after block {@code stopAfterLayer}
     */
    public Tensor forward(int[][] tokens, Hooks hooks, KvCache kv, ForwardOptions opt) {
        int batch = tokens.length, pos = tokens[0].length;
        int start = kv == null ? 0 : kv.length();
        if (start + pos > cfg.nCtx()) {
            throw new IllegalArgumentException("sequence of " + (start + pos) + " tokens is longer than the model's context of "
                    + cfg.nCtx() + " (n_ctx)");
        }
        if (pos == 0) throw new IllegalArgumentException("empty input: at least one token is needed");
        Tensor x = opt.startResidual() == null ? embed(tokens, hooks, start) : startResidual(opt, batch, pos, kv);

        int lastLayer = opt.stopAfterLayer() < 0 ? cfg.nLayers() - 1 : opt.stopAfterLayer();
        for (int l = opt.startLayer(); l <= lastLayer; l++) {
            x = cfg.postNorm() ? postNormBlock(l, x, hooks, kv, start) : preNormBlock(l, x, hooks, kv, start);
        }
        if (kv != null) kv.advance(pos);
        if (opt.stopAfterLayer() >= 0 || !cfg.hasUnembed()) return x;

        if (cfg.finalNorm()) x = hooks.fire(-1, Site.LN_FINAL, norm(x, w.lnFinal()), start); // [batch, pos, d_model]
        if (opt.lastPositionLogits()) x = Ops.lastPosition(x);
        return linear(x, w.unembed()); // [batch, pos, d_vocab]
    }

    /**
     * The model's head applied to any residual [batch, pos, d_model]: the final norm (when the model has
     * one) then the unembedding → logits [batch, pos, d_vocab]. No hooks fire. The logit lens reads
     * intermediate residuals through it.
     */
    public Tensor unembed(Tensor residual) {
        if (!cfg.hasUnembed()) throw new IllegalArgumentException(cfg.architecture() + " has no unembedding to map a residual to logits");
        Tensor x = cfg.finalNorm() ? norm(residual, w.lnFinal()) : residual;
        return linear(x, w.unembed());
    }

    /** Token (+ position, token type) embeddings, and the embedding norm where there is one → [batch, pos, d_model]. */
    private Tensor embed(int[][] tokens, Hooks hooks, int start) {
        int batch = tokens.length, pos = tokens[0].length;
        Tensor x = hooks.fire(-1, Site.EMBED, Ops.embedding(w.embed().tokens(), tokens), start); // [batch, pos, d_model]
        if (cfg.positions() == Positions.LEARNED) {
            Tensor pe = hooks.fire(-1, Site.POS_EMBED, Ops.positionRows(w.embed().positions(), batch, pos, start), start); // [batch, pos, d_model]
            x = Ops.add(x, pe);
        }
        if (w.embed().tokenTypes() != null) {
            Tensor tt = hooks.fire(-1, Site.TOKEN_TYPE_EMBED, Ops.embedding(w.embed().tokenTypes(), new int[batch][pos]), start);
            x = Ops.add(x, tt);
        }
        if (w.embed().norm() != null) {
            x = hooks.fire(-1, Site.EMBED_LN, norm(x, w.embed().norm()), start);
        }
        return x;
    }

    /** The residual a forward starting at a later block begins from, checked against the input's sizes. */
    private Tensor startResidual(ForwardOptions opt, int batch, int pos, KvCache kv) {
        if (kv != null) throw new IllegalArgumentException("a forward starting from a given residual cannot use a KV cache");
        if (opt.startLayer() >= cfg.nLayers()) {
            throw new IllegalArgumentException("start layer " + opt.startLayer() + " is past the model's " + cfg.nLayers() + " blocks");
        }
        return opt.startResidual().requireShape("start residual for blocks." + opt.startLayer() + ".hook_resid_pre", batch, pos, cfg.dModel());
    }

    private Tensor preNormBlock(int l, Tensor x, Hooks hooks, KvCache kv, int start) {
        Block b = w.blocks().get(l);
        Tensor residPre = hooks.fire(l, Site.RESID_PRE, x, start); // [batch, pos, d_model]
        Tensor attnIn = hooks.fire(l, Site.LN1, norm(residPre, b.ln1()), start);
        Tensor attnOut = hooks.fire(l, Site.ATTN_OUT, attention(l, attnIn, hooks, kv, start), start);
        if (cfg.attnOnly()) return hooks.fire(l, Site.RESID_POST, Ops.add(residPre, attnOut), start);
        if (cfg.parallelResidual()) {
            Tensor mlpIn = hooks.fire(l, Site.LN2, norm(residPre, b.ln2()), start);
            Tensor mlpOut = hooks.fire(l, Site.MLP_OUT, mlp(l, mlpIn, hooks, start), start);
            return hooks.fire(l, Site.RESID_POST, Ops.add(residPre, attnOut, mlpOut), start);
        }
        Tensor residMid = hooks.fire(l, Site.RESID_MID, Ops.add(residPre, attnOut), start);
        Tensor mlpIn = hooks.fire(l, Site.LN2, norm(residMid, b.ln2()), start);
        Tensor mlpOut = hooks.fire(l, Site.MLP_OUT, mlp(l, mlpIn, hooks, start), start);
        return hooks.fire(l, Site.RESID_POST, Ops.add(residMid, mlpOut), start);
    }

    /** BERT: sublayer, add, then LayerNorm; ln2's output is the block output. */
    private Tensor postNormBlock(int l, Tensor x, Hooks hooks, KvCache kv, int start) {
        Block b = w.blocks().get(l);
        Tensor residPre = hooks.fire(l, Site.RESID_PRE, x, start);
        Tensor attnOut = hooks.fire(l, Site.ATTN_OUT, attention(l, residPre, hooks, kv, start), start);
        Tensor residMid = hooks.fire(l, Site.RESID_MID, Ops.add(residPre, attnOut), start);
        Tensor mlpIn = hooks.fire(l, Site.LN1, norm(residMid, b.ln1()), start);
        Tensor mlpOut = hooks.fire(l, Site.MLP_OUT, mlp(l, mlpIn, hooks, start), start);
        Tensor residPost = hooks.fire(l, Site.RESID_POST, Ops.add(mlpIn, mlpOut), start);
        return hooks.fire(l, Site.LN2, norm(residPost, b.ln2()), start);
    }

    private Tensor attention(int l, Tensor x, Hooks hooks, KvCache kv, int start) {
        TransformerWeights.Attention a = w.blocks().get(l).attn();
        int batch = x.size(0), pos = x.size(1);
        int h = cfg.nHeads(), kvh = cfg.nKvHeads(), dh = cfg.dHead();
        Tensor qkv = linear(x, a.qkv()); // [batch, pos, (n_heads + 2 n_kv_heads) d_head]
        Tensor q = hooks.fire(l, Site.Q, Ops.columns(qkv, 0, h * dh).reshape(batch, pos, h, dh), start);
        Tensor k = hooks.fire(l, Site.K, Ops.columns(qkv, h * dh, kvh * dh).reshape(batch, pos, kvh, dh), start);
        Tensor v = hooks.fire(l, Site.V, Ops.columns(qkv, (h + kvh) * dh, kvh * dh).reshape(batch, pos, kvh, dh), start);
        if (rotary != null) {
            q = hooks.fire(l, Site.ROT_Q, Ops.rotary(q, rotary, start), start); // [batch, pos, n_heads, d_head]
            k = hooks.fire(l, Site.ROT_K, Ops.rotary(k, rotary, start), start); // [batch, pos, n_kv_heads, d_head]
        }
        Tensor keys = k, values = v;
        int capacity = pos;
        if (kv != null) {
            kv.write(l, k, v);
            keys = kv.keys(l);
            values = kv.values(l);
            capacity = kv.capacity();
        }
        Attention.Dims dims = new Attention.Dims(batch, pos, start + pos, capacity, h, kvh, dh, cfg.causal());
        float scale = (float) (1.0 / Math.sqrt(dh));
        Tensor z;
        if (hooks.active(l, Site.ATTN_SCORES) || hooks.active(l, Site.PATTERN)) {
            Tensor scores = hooks.fire(l, Site.ATTN_SCORES, Ops.attentionScores(q, keys, dims, scale), start); // [batch, n_heads, query_pos, key_pos]
            Tensor pattern = hooks.fire(l, Site.PATTERN, Ops.softmax(scores), start);
            z = Ops.attentionMix(pattern, values, dims);
        } else {
            z = Ops.attention(q, keys, values, dims, scale);
        }
        z = hooks.fire(l, Site.Z, z, start); // [batch, pos, n_heads, d_head]
        return linear(z.reshape(batch, pos, h * dh), a.out()); // [batch, pos, d_model]
    }

    private Tensor mlp(int l, Tensor x, Hooks hooks, int start) {
        TransformerWeights.Mlp m = w.blocks().get(l).mlp();
        if (m.gate() == null) {
            Tensor pre = hooks.fire(l, Site.MLP_PRE, linear(x, m.in()), start); // [batch, pos, d_mlp]
            Tensor post = hooks.fire(l, Site.MLP_POST, Ops.activation(pre, cfg.activation()), start);
            return linear(post, m.out());
        }
        Tensor gate = hooks.fire(l, Site.MLP_PRE, linear(x, m.gate()), start); // [batch, pos, d_mlp]
        Tensor up = hooks.fire(l, Site.MLP_PRE_LINEAR, linear(x, m.in()), start);
        Tensor post = hooks.fire(l, Site.MLP_POST, Ops.mul(Ops.activation(gate, cfg.activation()), up), start);
        return linear(post, m.out());
    }

    private Tensor norm(Tensor x, Norm n) {
        return cfg.norm() == NormKind.RMS_NORM
                ? Ops.rmsNorm(x, n.gain(), cfg.normEps())
                : Ops.layerNorm(x, n.gain(), n.bias(), cfg.normEps());
    }

    private static Tensor linear(Tensor x, Linear lin) {
        return Ops.linear(x, lin.weight(), lin.bias());
    }

    /** Hook points in the order this configuration's forward pass reaches them. */
    private static List<Placement> hookOrder(TransformerConfig cfg, TransformerWeights.Embedding embed) {
        List<Placement> order = new ArrayList<>();
        order.add(new Placement(Site.EMBED, -1));
        if (cfg.positions() == Positions.LEARNED) order.add(new Placement(Site.POS_EMBED, -1));
        if (embed.tokenTypes() != null) order.add(new Placement(Site.TOKEN_TYPE_EMBED, -1));
        if (embed.norm() != null) order.add(new Placement(Site.EMBED_LN, -1));
        List<Site> attn = new ArrayList<>(List.of(Site.Q, Site.K, Site.V));
        if (cfg.positions() == Positions.ROTARY) attn.addAll(List.of(Site.ROT_Q, Site.ROT_K));
        attn.addAll(List.of(Site.ATTN_SCORES, Site.PATTERN, Site.Z, Site.ATTN_OUT));
        List<Site> mlp = cfg.gatedMlp()
                ? List.of(Site.MLP_PRE, Site.MLP_PRE_LINEAR, Site.MLP_POST, Site.MLP_OUT)
                : List.of(Site.MLP_PRE, Site.MLP_POST, Site.MLP_OUT);
        for (int l = 0; l < cfg.nLayers(); l++) {
            List<Site> block = new ArrayList<>();
            block.add(Site.RESID_PRE);
            if (cfg.postNorm()) {
                block.addAll(attn);
                block.addAll(List.of(Site.RESID_MID, Site.LN1));
                block.addAll(mlp);
                block.addAll(List.of(Site.RESID_POST, Site.LN2));
            } else if (cfg.attnOnly()) {
                block.add(Site.LN1);
                block.addAll(attn);
                block.add(Site.RESID_POST);
            } else {
                block.add(Site.LN1);
                block.addAll(attn);
                if (!cfg.parallelResidual()) block.add(Site.RESID_MID);
                block.add(Site.LN2);
                block.addAll(mlp);
                block.add(Site.RESID_POST);
            }
            for (Site s : block) order.add(new Placement(s, l));
        }
        if (cfg.finalNorm()) order.add(new Placement(Site.LN_FINAL, -1));
        return order;
    }

    private String shapeOf(Site site) {
        return site.shape()
                .replace("n_kv_heads", "n_kv_heads=" + cfg.nKvHeads())
                .replace("n_heads,", "n_heads=" + cfg.nHeads() + ",")
                .replace("d_head", "d_head=" + cfg.dHead())
                .replace("d_model", "d_model=" + cfg.dModel())
                .replace("d_mlp", "d_mlp=" + cfg.dMlp());
    }
}
