package dev.loupe.sae;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.sae.transcoder.Transcoders;

/**
 * What a {@link FeatureScan} reads: the hook whose rows a dictionary encodes, how rows become sparse codes, and each
 * latent's direction in the residual stream (its logit effects are that direction through the unembedding). An SAE
 * encodes its hook and writes back there; a transcoder layer encodes the MLP input and writes the MLP output (a
 * cross-layer transcoder to every later layer's, so its direction is the sum of those decoders).
 *
 * @param decoder [latents, d_model] residual-stream directions, or null when they are not in the residual stream
 * @param architecture the name written to the store's meta table
 */
public record ScanTarget(HookSpec hook, int latents, Encoder encoder, float[] decoder, String architecture) {
    /** The folder beside a transcoder set where its per-layer stores are looked for by default. */
    public static final String TRANSCODER_STORES = "features";

    /** The store file of a transcoder layer's features inside a stores folder: {@code layer_{i}.db}. */
    public static String transcoderStore(int layer) {
        return "layer_" + layer + ".db";
    }

    /** Sparse codes of rows x [rows, width of the hook]. */
    @FunctionalInterface
    public interface Encoder {
        SparseCodes encode(float[] x, int rows);
    }

    /** An SAE at its hook. */
    public static ScanTarget of(HookedTransformer model, Sae sae) {
        HookSpec hook = SaeSplice.requireFits(model, sae);
        return new ScanTarget(hook, sae.dSae(), sae::encodeSparse, sae.dIn() == model.config().dModel() ? sae.wDec : null, sae.config().architecture());
    }

    /** Layer {@code layer} of a transcoder set or CLT: its features read at that layer. */
    public static ScanTarget of(HookedTransformer model, Transcoders tc, int layer) {
        if (layer < 0 || layer >= tc.nLayers()) throw new IllegalArgumentException("layer " + layer + " is outside the transcoders' 0.." + (tc.nLayers() - 1));
        String name = tc.hooks().inputAt(layer);
        HookSpec hook = model.hooks().get(name);
        if (hook == null) throw new IllegalArgumentException("transcoder input hook '" + name + "' is not a hook of this model");
        int d = tc.dModel(), width = tc.width(layer);
        if (LiveModelSource.widthOf(hook) != d) {
            throw new IllegalArgumentException("transcoders read d_model " + d + " but hook " + name + " has width " + LiveModelSource.widthOf(hook));
        }
        float[] dec = new float[width * d];
        for (int f = 0; f < width; f++) {
            for (int t = layer; t <= tc.lastOutputLayer(layer); t++) tc.addDecoder(layer, f, t, 1f, dec, f * d);
        }
        return new ScanTarget(hook, width, (x, rows) -> tc.encode(layer, x, rows), dec, SaeArchitectures.activationName(tc.activation()) + " transcoder, layer " + layer);
    }
}
