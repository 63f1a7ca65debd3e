package dev.loupe.model;

import dev.loupe.core.Autograd;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.Attention;
import dev.loupe.model.TransformerWeights.Block;
import dev.loupe.model.TransformerWeights.Linear;
import dev.loupe.model.TransformerWeights.Norm;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.HookIndex;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.model.hooks.Site;
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
    private final HookIndex hookIndex;

    /** The model; the weights' shapes and optional parts are checked against {@code cfg}, errors naming the tensor. */
    public HookedTransformer(TransformerConfig cfg, TransformerWeights weights) {
        WeightCheck.check(cfg, weights);
        this.cfg = cfg;
        this.w = weights;
        this.hookIndex = HookPlan.index(cfg, weights.embed());
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

        if (has(-1, Site.LN_FINAL)) x = hooks.fire(-1, Site.LN_FINAL, norm(x, w.lnFinal()), start); // [batch, pos, d_model]
        if (opt.lastPositionLogits()) x = Ops.lastPosition(x);
        return logits(x); // [batch, pos, d_vocab]
    }

    /**
     * The model's head applied to any residual [batch, pos, d_model]: the final norm (when the model has
     * one) then the unembedding → logits [batch, pos, d_vocab]. No hooks fire. The logit lens reads
     * intermediate residuals through it.
     */
    public Tensor unembed(Tensor residual) {
        if (!cfg.hasUnembed()) throw new IllegalArgumentException(cfg.architecture() + " has no unembedding to map a residual to logits");
        Tensor x = cfg.finalNorm() ? norm(residual, w.lnFinal()) : residual;
        return logits(x);
    }

    /** The unembedding, then the final soft-cap where the model has one (over the fresh logits, unless a gradient flows). */
    private Tensor logits(Tensor x) {
        Tensor logits = linear(x, w.unembed());
        if (cfg.finalSoftcap() <= 0) return logits;
        return Autograd.needed(logits) ? Ops.softcap(logits, cfg.finalSoftcap()) : Ops.softcapInPlace(logits, cfg.finalSoftcap());
    }

    /** Whether this model's forward has hook point {@code site} at {@code layer}: the switch for every optional step. */
    private boolean has(int layer, Site site) {
        return hookIndex.index(layer, site) >= 0;
    }

    /** Token (+ position, token type) embeddings, and the embedding norm where there is one → [batch, pos, d_model]. */
    private Tensor embed(int[][] tokens, Hooks hooks, int start) {
        int batch = tokens.length, pos = tokens[0].length;
        Tensor tok = Ops.embedding(w.embed().tokens(), tokens);
        if (cfg.embedScale() != 1f) tok = Ops.scale(tok, cfg.embedScale());
        Tensor x = hooks.fire(-1, Site.EMBED, tok, start); // [batch, pos, d_model]
        if (has(-1, Site.POS_EMBED)) {
            Tensor pe = hooks.fire(-1, Site.POS_EMBED, Ops.positionRows(w.embed().positions(), batch, pos, start), start); // [batch, pos, d_model]
            x = Ops.add(x, pe);
        }
        if (has(-1, Site.TOKEN_TYPE_EMBED)) {
            Tensor tt = hooks.fire(-1, Site.TOKEN_TYPE_EMBED, Ops.embedding(w.embed().tokenTypes(), new int[batch][pos]), start);
            x = Ops.add(x, tt);
        }
        if (has(-1, Site.EMBED_LN)) {
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
        Tensor attnOut = attention(l, attnIn, hooks, kv, start);
        if (has(l, Site.LN1_POST)) attnOut = hooks.fire(l, Site.LN1_POST, norm(attnOut, b.ln1Post()), start);
        attnOut = hooks.fire(l, Site.ATTN_OUT, attnOut, start);
        if (!has(l, Site.LN2)) return hooks.fire(l, Site.RESID_POST, Ops.add(residPre, attnOut), start); // attention-only
        if (!has(l, Site.RESID_MID)) { // parallel residual: the MLP reads the block input too
            Tensor mlpIn = hooks.fire(l, Site.LN2, norm(residPre, b.ln2()), start);
            Tensor mlpOut = mlpOut(l, mlpIn, hooks, start);
            return hooks.fire(l, Site.RESID_POST, Ops.add(residPre, attnOut, mlpOut), start);
        }
        Tensor residMid = hooks.fire(l, Site.RESID_MID, Ops.add(residPre, attnOut), start);
        Tensor mlpIn = hooks.fire(l, Site.LN2, norm(residMid, b.ln2()), start);
        Tensor mlpOut = mlpOut(l, mlpIn, hooks, start);
        return hooks.fire(l, Site.RESID_POST, Ops.add(residMid, mlpOut), start);
    }

    /** The MLP, its post-norm where the block has one, and hook_mlp_out. */
    private Tensor mlpOut(int l, Tensor mlpIn, Hooks hooks, int start) {
        Tensor out = mlp(l, mlpIn, hooks, start);
        if (has(l, Site.LN2_POST)) out = hooks.fire(l, Site.LN2_POST, norm(out, w.blocks().get(l).ln2Post()), start);
        return hooks.fire(l, Site.MLP_OUT, out, start);
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
        if (has(l, Site.Q_NORM)) {
            q = hooks.fire(l, Site.Q_NORM, norm(q, a.qNorm()), start); // [batch, pos, n_heads, d_head]
            k = hooks.fire(l, Site.K_NORM, norm(k, a.kNorm()), start); // [batch, pos, n_kv_heads, d_head]
        }
        TransformerConfig.LayerAttention spec = cfg.attention(l);
        if (has(l, Site.ROT_Q)) {
            q = hooks.fire(l, Site.ROT_Q, Ops.rotary(q, spec.rotary(), start), start); // [batch, pos, n_heads, d_head]
            k = hooks.fire(l, Site.ROT_K, Ops.rotary(k, spec.rotary(), start), start); // [batch, pos, n_kv_heads, d_head]
        }
        boolean patternHooked = hooks.active(l, Site.ATTN_SCORES) || hooks.active(l, Site.PATTERN);
        Tensor keys = k, values = v;
        int keyCount = pos, capacity = pos;
        if (kv != null) { // with a sliding window the cache may hand back only the keys from the window's start on
            KvCache.Span span = kv.append(l, k, v, patternHooked);
            keys = span.keys();
            values = span.values();
            keyCount = span.count();
            capacity = span.keyCapacity();
        }
        Attention.Dims dims = new Attention.Dims(batch, pos, keyCount, capacity, h, kvh, dh, cfg.causal(), spec.window(),
                cfg.attnSoftcap());
        float scale = cfg.attnScale();
        Tensor z; // the [batch, n_heads, query_pos, key_pos] tensors are made only where a hook reads them
        if (patternHooked) {
            Tensor scores = hooks.fire(l, Site.ATTN_SCORES, Ops.attentionScores(q, keys, dims, scale), start); // [batch, n_heads, query_pos, key_pos]
            Tensor pattern = hooks.fire(l, Site.PATTERN, Ops.softmax(scores), start);
            z = Ops.attentionMix(pattern, values, dims);
        } else {
            z = Ops.attention(q, keys, values, dims, scale);
        }
        z = hooks.fire(l, Site.Z, z, start); // [batch, pos, n_heads, d_head]
        return linear(z.reshape(batch, pos, h * dh), a.out()); // [batch, pos, d_model]
    }

    /**
     * The MLP. Where no hook reads or replaces its hidden pre-activations and no gradient flows, the activation
     * (and the gating) is written over the pre-activation's own array: the same bits, two [batch, pos, d_mlp]
     * temporaries fewer.
     */
    private Tensor mlp(int l, Tensor x, Hooks hooks, int start) {
        TransformerWeights.Mlp m = w.blocks().get(l).mlp();
        if (m.gate() == null) {
            Tensor pre = hooks.fire(l, Site.MLP_PRE, linear(x, m.in()), start); // [batch, pos, d_mlp]
            boolean own = !hooks.active(l, Site.MLP_PRE) && !Autograd.needed(pre);
            Tensor post = own ? Ops.activationInPlace(pre, cfg.activation()) : Ops.activation(pre, cfg.activation());
            return linear(hooks.fire(l, Site.MLP_POST, post, start), m.out());
        }
        Tensor gate = hooks.fire(l, Site.MLP_PRE, linear(x, m.gate()), start); // [batch, pos, d_mlp]
        Tensor up = hooks.fire(l, Site.MLP_PRE_LINEAR, linear(x, m.in()), start);
        boolean own = !hooks.active(l, Site.MLP_PRE) && !hooks.active(l, Site.MLP_PRE_LINEAR) && !Autograd.needed(gate, up);
        Tensor post = own ? Ops.mulInPlace(Ops.activationInPlace(gate, cfg.activation()), up)
                : Ops.mul(Ops.activation(gate, cfg.activation()), up);
        return linear(hooks.fire(l, Site.MLP_POST, post, start), m.out());
    }

    /** This model's norm (its kind, eps and Gemma's 1 + w) with the weights {@code n}, over the last dimension of x. */
    public Tensor norm(Tensor x, Norm n) {
        return switch (cfg.norm()) {
            case RMS_NORM -> Ops.rmsNorm(x, n.gain(), cfg.normEps());
            case GEMMA_RMS_NORM -> Ops.rmsNorm(x, Ops.shift(n.gain(), cfg.norm().gainOffset()), cfg.normEps());
            case LAYER_NORM -> Ops.layerNorm(x, n.gain(), n.bias(), cfg.normEps());
        };
    }

    private static Tensor linear(Tensor x, Linear lin) {
        return Ops.linear(x, lin.weight(), lin.bias());
    }
}
