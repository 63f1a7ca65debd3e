package dev.loupe.model;

import dev.loupe.core.Tensor;
import dev.loupe.model.TransformerConfig.NormKind;
import dev.loupe.model.TransformerConfig.Positions;
import dev.loupe.model.TransformerWeights.Block;
import dev.loupe.model.TransformerWeights.Linear;
import dev.loupe.model.TransformerWeights.Norm;
import java.util.Arrays;

/**
 * The structural facts of a {@link TransformerConfig} checked against the weights before a model is built: every
 * part the config implies is there with the shape it implies, and no part it does not (a q/k norm, a post-norm,
 * a position table) is there to be silently skipped. Errors name the canonical tensor
 * (see {@link TransformerWeights#parameters()}).
 */
final class WeightCheck {
    private final TransformerConfig cfg;

    private WeightCheck(TransformerConfig cfg) {
        this.cfg = cfg;
    }

    static void check(TransformerConfig cfg, TransformerWeights w) {
        new WeightCheck(cfg).all(w);
    }

    private void all(TransformerWeights w) {
        int d = cfg.dModel();
        shape("embed.tokens", w.embed().tokens(), cfg.dVocab(), d);
        presence("embed.positions", w.embed().positions(), cfg.positions() == Positions.LEARNED, "learned positions");
        if (w.embed().positions() != null) shape("embed.positions", w.embed().positions(), cfg.nCtx(), d);
        if (w.embed().norm() != null) norm("embed.norm", w.embed().norm(), d);
        if (w.blocks().size() != cfg.nLayers()) {
            throw error("there are " + w.blocks().size() + " blocks of weights but the config has " + cfg.nLayers());
        }
        int h = cfg.nHeads(), kv = cfg.nKvHeads(), dh = cfg.dHead();
        for (int l = 0; l < cfg.nLayers(); l++) {
            Block b = w.blocks().get(l);
            String p = "blocks." + l + ".";
            norm(p + "ln1", b.ln1(), d);
            linear(p + "attn.qkv", b.attn().qkv(), (h + 2 * kv) * dh, d);
            linear(p + "attn.out", b.attn().out(), d, h * dh);
            presence(p + "attn.q_norm.gain", b.attn().qNorm(), cfg.qkNorm(), "per-head q/k norms");
            presence(p + "attn.k_norm.gain", b.attn().kNorm(), cfg.qkNorm(), "per-head q/k norms");
            if (cfg.qkNorm()) {
                norm(p + "attn.q_norm", b.attn().qNorm(), dh);
                norm(p + "attn.k_norm", b.attn().kNorm(), dh);
            }
            presence(p + "ln1_post.gain", b.ln1Post(), cfg.sublayerPostNorms(), "sublayer post-norms");
            presence(p + "ln2_post.gain", b.ln2Post(), cfg.sublayerPostNorms(), "sublayer post-norms");
            if (cfg.sublayerPostNorms()) {
                norm(p + "ln1_post", b.ln1Post(), d);
                norm(p + "ln2_post", b.ln2Post(), d);
            }
            presence(p + "mlp", b.mlp(), !cfg.attnOnly(), "an MLP (d_mlp " + cfg.dMlp() + ")");
            presence(p + "ln2.gain", b.ln2(), !cfg.attnOnly(), "an MLP (d_mlp " + cfg.dMlp() + ")");
            if (cfg.attnOnly()) continue;
            norm(p + "ln2", b.ln2(), d);
            presence(p + "mlp.gate.weight", b.mlp().gate(), cfg.gatedMlp(), "a gated MLP");
            if (b.mlp().gate() != null) linear(p + "mlp.gate", b.mlp().gate(), cfg.dMlp(), d);
            linear(p + "mlp.in", b.mlp().in(), cfg.dMlp(), d);
            linear(p + "mlp.out", b.mlp().out(), d, cfg.dMlp());
        }
        presence("ln_final.gain", w.lnFinal(), cfg.finalNorm(), "a final norm");
        if (w.lnFinal() != null) norm("ln_final", w.lnFinal(), d);
        presence("unembed.weight", w.unembed(), cfg.hasUnembed(), "an unembedding");
        if (w.unembed() != null) linear("unembed", w.unembed(), cfg.dVocab(), d);
    }

    private void norm(String name, Norm n, int d) {
        shape(name + ".gain", n.gain(), d);
        if (n.bias() == null) return;
        if (cfg.norm() != NormKind.LAYER_NORM) throw error("'" + name + ".bias' is present but " + cfg.norm() + " has no bias");
        shape(name + ".bias", n.bias(), d);
    }

    private void linear(String name, Linear lin, int out, int in) {
        shape(name + ".weight", lin.weight(), out, in);
        if (lin.bias() != null) shape(name + ".bias", lin.bias(), out);
    }

    private void shape(String name, Tensor t, int... expected) {
        if (t == null) throw error("'" + name + "' is missing");
        if (!Arrays.equals(t.shape(), expected)) {
            throw error("'" + name + "' has shape " + Arrays.toString(t.shape()) + " but the config implies " + Arrays.toString(expected));
        }
    }

    private void presence(String name, Object part, boolean expected, String what) {
        if (part == null && expected) throw error("'" + name + "' is missing, but the config has " + what);
        if (part != null && !expected) throw error("'" + name + "' is present, but the config has no " + what + " to use it");
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException(cfg.architecture() + " weights: " + message);
    }
}
