package dev.loupe.circuits;

import dev.loupe.core.Autograd;
import dev.loupe.core.Tensor;
import dev.loupe.interp.intervene.FeatureEdits;
import dev.loupe.interp.intervene.FeatureEdits.FeatureEdit;
import dev.loupe.interp.intervene.SpecException;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.TransformerConfig.NormKind;
import dev.loupe.model.TransformerWeights.Block;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.sae.SparseCodes;
import dev.loupe.sae.transcoder.Transcoders;
import java.util.List;

/**
 * Runs {@link FeatureEdits} on a real model through hooks: at the MLP input of an edited feature's layer its live
 * activation a is read (encoded from {@code ln2.hook_normalized}), and (new − a) × its decoder is added to every
 * MLP output it writes. With {@code freezeAttention} the patterns and norm scales are those of the unedited
 * prompt; in constrained layers the MLP is the replacement model's (its transcoder's skip path of the live input
 * plus the unedited remainder) plus the edits' direct changes (with the unedited activation as a), so features there
 * do not respond to upstream edits. With both, and every layer constrained, the change an edit makes is exactly its
 * direct effect, which is what the attribution graph's edges measure.
 */
public final class FeatureInterventions {
    private final HookedTransformer model;
    private final Transcoders tc;
    private final FeatureEdits edits;
    private final LocalReplacementModel clean; // null unless freezing or constraining
    private final int cleanLength;

    private FeatureInterventions(HookedTransformer model, Transcoders tc, FeatureEdits edits, int[] prompt) {
        this.model = model;
        this.tc = tc;
        this.edits = edits;
        boolean needsClean = edits.freezeAttention() || edits.constrainedFrom() >= 0;
        this.clean = needsClean ? LocalReplacementModel.of(model, tc, prompt) : null;
        this.cleanLength = prompt.length;
        for (int i = 0; i < edits.edits().size(); i++) {
            FeatureEdit e = edits.edits().get(i);
            String f = "features.edits[" + i + "]";
            if (e.layer() >= tc.nLayers()) throw new SpecException(f + ".layer", "layer " + e.layer() + " is past the transcoders' " + tc.nLayers());
            if (e.feature() >= tc.width(e.layer())) throw new SpecException(f + ".feature", "feature " + e.feature() + " is past layer " + e.layer() + "'s " + tc.width(e.layer()));
            if (needsClean && e.position() >= prompt.length) {
                throw new SpecException(f + ".position", "position " + e.position() + " is past the prompt's " + prompt.length + " tokens (frozen or constrained edits apply to the prompt only)");
            }
        }
        if (edits.constrainedTo() >= tc.nLayers()) throw new SpecException("features.constrained_layers", "layer " + edits.constrainedTo() + " is past the transcoders' " + tc.nLayers());
    }

    /**
     * The edits compiled for {@code prompt}. Freezing and constraining refer to the unedited run on the prompt, so
     * they apply to forward passes over exactly the prompt; without them the hooks also serve generation.
     */
    public static FeatureInterventions compile(HookedTransformer model, Transcoders tc, FeatureEdits edits, int[] prompt) {
        return new FeatureInterventions(model, tc, edits, prompt);
    }

    /** Logits [1, pos, d_vocab] of the prompt with the edits; {@code extra} may add hooks that run after the edits' (or be null). */
    public Tensor forward(int[] prompt, java.util.function.Consumer<Hooks.Builder> extra) {
        Hooks.Builder b = addTo(Hooks.builder(model.hooks()));
        if (extra != null) extra.accept(b);
        return Autograd.noGrad(() -> model.forward(new int[][] {prompt}, b.build(), null, ForwardOptions.FULL));
    }

    /** Adds the hooks (for one sequence, batch 1) to {@code b}; run before hooks added later at the same points. */
    public Hooks.Builder addTo(Hooks.Builder b) {
        TransformerConfig cfg = model.config();
        int nLayers = cfg.nLayers(), d = cfg.dModel();
        boolean centered = cfg.norm() == NormKind.LAYER_NORM;
        Tensor[] normInput = new Tensor[1];
        float[][] before = new float[edits.edits().size()][1]; // each edit's activation before it, set at its layer's MLP input
        if (edits.freezeAttention()) {
            for (int l = 0; l < nLayers; l++) {
                final int layer = l;
                Block blk = model.weights().blocks().get(l);
                b.add("blocks." + l + ".hook_resid_pre", (x, ctx) -> capture(normInput, x, ctx.startPosition()));
                b.add("blocks." + l + ".ln1.hook_normalized",
                        (x, ctx) -> FrozenOps.norm(normInput[0], clean.inverseScale(layer, false), blk.ln1().gain(), blk.ln1().bias(), centered));
                if (!cfg.parallelResidual()) b.add("blocks." + l + ".hook_resid_mid", (x, ctx) -> capture(normInput, x, ctx.startPosition()));
                b.add("blocks." + l + ".ln2.hook_normalized",
                        (x, ctx) -> FrozenOps.norm(normInput[0], clean.inverseScale(layer, true), blk.ln2().gain(), blk.ln2().bias(), centered));
                b.add("blocks." + l + ".attn.hook_pattern", (x, ctx) -> Tensor.of(clean.pattern(layer), x.shape()));
            }
            b.add("blocks." + (nLayers - 1) + ".hook_resid_post", (x, ctx) -> capture(normInput, x, ctx.startPosition()));
            b.add("ln_final.hook_normalized", (x, ctx) -> FrozenOps.norm(normInput[0], clean.inverseScale(nLayers, false),
                    model.weights().lnFinal().gain(), model.weights().lnFinal().bias(), centered));
        }
        if (edits.isEmpty() && edits.constrainedFrom() < 0) return b;
        Tensor[] mlpIn = new Tensor[nLayers];
        for (int l = 0; l < nLayers; l++) {
            final int layer = l;
            b.add("blocks." + l + ".ln2.hook_normalized", (x, ctx) -> {
                mlpIn[layer] = x;
                readActivations(layer, x, ctx.startPosition(), before);
                return x;
            });
            b.add("blocks." + l + ".hook_mlp_out", (x, ctx) -> edited(layer, x, mlpIn[layer], ctx.startPosition(), before, d));
        }
        return b;
    }

    private Tensor capture(Tensor[] slot, Tensor x, int start) {
        if (start != 0 || x.size(1) != cleanLength) {
            throw new IllegalArgumentException("frozen attention applies to a forward over the prompt's " + cleanLength + " tokens, not generation");
        }
        slot[0] = x;
        return x;
    }

    /** Records, for each edit at {@code layer} inside this window, its feature's activation before the edit. */
    private void readActivations(int layer, Tensor x, int start, float[][] before) {
        int d = x.size(2), len = x.size(1);
        List<FeatureEdit> list = edits.edits();
        for (int i = 0; i < list.size(); i++) {
            FeatureEdit e = list.get(i);
            int row = e.position() - start;
            if (e.layer() != layer || row < 0 || row >= len) continue;
            float[] in = edits.constrains(layer)
                    ? java.util.Arrays.copyOfRange(clean.mlpInput(layer), e.position() * d, (e.position() + 1) * d)
                    : java.util.Arrays.copyOfRange(x.data(), row * d, (row + 1) * d);
            SparseCodes f = tc.encode(layer, in, 1);
            float a = 0;
            for (int c = 0; c < f.nnz(); c++) if (f.index()[c] == e.feature()) a = f.value()[c];
            before[i][0] = a;
        }
    }

    /**
     * The MLP output of {@code layer}: live, or constrained the unedited one plus the skip path of the change in its
     * input; plus every edit's change written here.
     */
    private Tensor edited(int layer, Tensor x, Tensor input, int start, float[][] before, int d) {
        int len = x.size(1);
        float[] out;
        if (edits.constrains(layer)) {
            out = java.util.Arrays.copyOfRange(clean.mlpOutput(layer), start * d, (start + len) * d);
            Tensor skip = tc.skip(layer);
            if (skip != null) {
                float[] change = input.data().clone(), cleanIn = clean.mlpInput(layer);
                for (int i = 0; i < change.length; i++) change[i] -= cleanIn[start * d + i];
                dev.loupe.core.kernels.Sgemm.sgemm(false, true, len, d, d, 1f, change, 0, d, skip.data(), 0, d, 1f, out, 0, d);
            }
        } else {
            out = x.data().clone();
        }
        List<FeatureEdit> list = edits.edits();
        for (int i = 0; i < list.size(); i++) {
            FeatureEdit e = list.get(i);
            int row = e.position() - start;
            if (e.layer() > layer || tc.lastOutputLayer(e.layer()) < layer || row < 0 || row >= len) continue;
            float a = before[i][0];
            tc.addDecoder(e.layer(), e.feature(), layer, e.apply(a) - a, out, row * d);
        }
        return Tensor.of(out, x.shape());
    }
}
