package dev.loupe.interp.analysis;

import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.TransformerConfig.Positions;
import dev.loupe.model.TransformerWeights;
import dev.loupe.model.hooks.ActivationCache;
import java.util.ArrayList;
import java.util.List;

/**
 * Direct logit attribution: how much each component writing to the residual stream (embeddings, every
 * layer's attention and MLP output, every head) pushes a logit direction at one position, through the
 * final norm and unembedding and nothing else.
 *
 * <p>Convention (as TransformerLens's {@code apply_ln_to_stack}): the final norm's scale 1/σ is taken from
 * the actual run's final residual and frozen, so the norm acts linearly on each component: centered
 * (LayerNorm) or not (RMSNorm), multiplied by the gain and the frozen scale. Then the components' parts sum,
 * with the bias terms (the norm's bias and the unembedding bias projected on the direction), to exactly
 * the model's logit (difference). A head's part is its z through its slice of W_O; a layer's attention
 * part is its heads plus the output-projection bias.
 */
public final class DirectLogitAttribution {
    private DirectLogitAttribution() {}

    /**
     * @param position position whose logits are explained (-1: the last)
     */
    public static DlaResult run(HookedTransformer model, int[] tokens, LogitDirection dir, int position) {
        TransformerConfig cfg = model.config();
        if (cfg.postNorm() || !cfg.hasUnembed()) {
            throw new IllegalArgumentException("direct logit attribution needs a pre-norm decoder with an unembedding; " + cfg.architecture() + " is not one");
        }
        if (cfg.finalSoftcap() > 0 || cfg.sublayerPostNorms()) {
            throw new IllegalArgumentException("direct logit attribution: " + cfg.architecture() + " soft-caps its logits or normalises its"
                    + " sublayer outputs, so they are not sums of per-head and per-component parts");
        }
        int p = position < 0 ? tokens.length + position : position;
        if (p < 0 || p >= tokens.length) throw new IllegalArgumentException("position " + position + " outside the prompt's " + tokens.length + " tokens");
        int layers = cfg.nLayers(), heads = cfg.nHeads(), dh = cfg.dHead(), d = cfg.dModel();
        List<String> names = new ArrayList<>(List.of("hook_embed"));
        boolean learned = cfg.positions() == Positions.LEARNED;
        if (learned) names.add("hook_pos_embed");
        names.addAll(List.of("blocks.*.hook_attn_out", "blocks.*.hook_mlp_out", "blocks.*.attn.hook_z", "blocks." + (layers - 1) + ".hook_resid_post"));
        ActivationCache cache = new ActivationCache();
        Tensor logits = model.runWithCache(new int[][] {tokens}, names, cache);
        float actual = dir.valueIn(logits, p);

        TransformerWeights w = model.weights();
        float[] eff = effectiveDirection(cfg, w, dir, row(cache.get("blocks." + (layers - 1) + ".hook_resid_post"), p));
        List<String> labels = new ArrayList<>();
        List<Float> parts = new ArrayList<>();
        labels.add("embed");
        parts.add(dot(eff, row(cache.get("hook_embed"), p)));
        if (learned) {
            labels.add("pos_embed");
            parts.add(dot(eff, row(cache.get("hook_pos_embed"), p)));
        }
        float[] headParts = new float[layers * heads];
        float[] attnBias = new float[layers];
        for (int l = 0; l < layers; l++) {
            labels.add("L" + l + " attn");
            parts.add(dot(eff, row(cache.get("blocks." + l + ".hook_attn_out"), p)));
            labels.add("L" + l + " mlp");
            parts.add(dot(eff, row(cache.get("blocks." + l + ".hook_mlp_out"), p)));
            TransformerWeights.Linear out = w.blocks().get(l).attn().out(); // [d_model, n_heads·d_head]
            float[] wo = out.weight().copy().data(); // a transient float32 copy: the model holds its weights packed
            float[] z = row(cache.get("blocks." + l + ".attn.hook_z"), p); // [n_heads·d_head]
            int in = heads * dh;
            for (int h = 0; h < heads; h++) {
                double s = 0;
                for (int i = 0; i < d; i++) {
                    double zi = 0;
                    for (int j = h * dh; j < (h + 1) * dh; j++) zi += (double) wo[i * in + j] * z[j];
                    s += eff[i] * zi;
                }
                headParts[l * heads + h] = (float) s;
            }
            attnBias[l] = out.bias() == null ? 0 : dot(eff, out.bias().data());
        }
        TransformerWeights.Norm fin = cfg.finalNorm() ? w.lnFinal() : null;
        double biasTerm = dir.bias();
        if (fin != null && fin.bias() != null) biasTerm += dot(dir.vector(), fin.bias().data());
        float[] partArray = new float[parts.size()];
        for (int i = 0; i < partArray.length; i++) partArray[i] = parts.get(i);
        return new DlaResult(dir.label(), p, labels, Tensor.of(partArray, partArray.length), Tensor.of(headParts, layers, heads),
                Tensor.of(attnBias, layers), (float) biasTerm, actual);
    }

    /**
     * The direction a component c is dotted with so that its part is the frozen-scale norm of c projected on
     * {@code dir}: gain ⊙ dir / σ, centered for LayerNorm (centering c is the same as centering the direction).
     */
    static float[] effectiveDirection(TransformerConfig cfg, TransformerWeights w, LogitDirection dir, float[] finalResidual) {
        int d = finalResidual.length;
        float[] e = dir.vector().clone();
        if (!cfg.finalNorm()) return e;
        boolean centered = cfg.norm().centered();
        double mean = 0;
        if (centered) {
            for (float v : finalResidual) mean += v;
            mean /= d;
        }
        double var = 0;
        for (float v : finalResidual) var += (v - mean) * (v - mean);
        double scale = 1 / Math.sqrt(var / d + cfg.normEps());
        float[] gain = w.lnFinal().gain() == null ? null : w.lnFinal().gain().data();
        double eMean = 0;
        for (int i = 0; i < d; i++) {
            e[i] = (float) (e[i] * (gain == null ? 1 : gain[i] + cfg.norm().gainOffset()) * scale);
            eMean += e[i];
        }
        if (centered) {
            eMean /= d;
            for (int i = 0; i < d; i++) e[i] -= (float) eMean;
        }
        return e;
    }

    private static float[] row(Tensor x, int p) {
        int d = x.size(-1) * (x.rank() == 4 ? x.size(2) : 1);
        float[] out = new float[d];
        System.arraycopy(x.data(), p * d, out, 0, d);
        return out;
    }

    private static float dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return (float) s;
    }
}
