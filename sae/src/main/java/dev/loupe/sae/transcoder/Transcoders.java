package dev.loupe.sae.transcoder;

import dev.loupe.sae.SaeArchitecture;
import dev.loupe.core.Tensor;
import dev.loupe.sae.SparseCodes;

/**
 * A replacement for every MLP of a model: features read each layer's MLP input and write MLP outputs. A
 * {@link TranscoderSet} writes each feature to its own layer only; a {@link CrossLayerTranscoder} writes a
 * feature read at layer l to every layer from l on. Attribution graphs and feature interventions work
 * through this interface, so they handle both.
 */
public sealed interface Transcoders permits TranscoderSet, CrossLayerTranscoder {
    int nLayers();

    int dModel();

    /** Features read at {@code layer}. */
    int width(int layer);

    /** The activation, as the SAE registry's inference architecture (standard = ReLU, jumprelu, topk). */
    SaeArchitecture activation();

    /** Where features read and write, in Loupe's hook names. */
    TranscoderHooks hooks();

    /** The feature-dashboard scan name (circuit-tracer's {@code scan}), or null. */
    String scan();

    /** Pre-activations [rows, width(layer)] of MLP inputs x [rows, d_model] at {@code layer}. */
    float[] preActivations(int layer, float[] x, int rows);

    /** Features of MLP inputs x [rows, d_model] at {@code layer}. */
    SparseCodes encode(int layer, float[] x, int rows);

    /** Encoder rows [width, d_model] of {@code layer} (a view). */
    Tensor encoder(int layer);

    /** Last layer a feature read at {@code layer} writes to ({@code layer} itself for a per-layer set). */
    int lastOutputLayer(int layer);

    /** out[off..off+d) += scale · (decoder of feature {@code feature} read at {@code layer}, written to {@code outLayer}). */
    void addDecoder(int layer, int feature, int outLayer, float scale, float[] out, int off);

    /**
     * The decoder of feature {@code feature} read at {@code layer}, written to {@code outLayer}, dotted with the rows
     * x[offsets[j]..offsets[j]+d) for j < count, into out[j] (the decoder row read in place, once per four rows).
     */
    void decoderDots(int layer, int feature, int outLayer, float[] x, int[] offsets, int count, float[] out);

    /** b_dec [d_model] of {@code outLayer}'s reconstruction (a view). */
    float[] decoderBias(int outLayer);

    /** The skip path of {@code outLayer} as a linear weight [d_model (out), d_model (in)], or null when there is none. */
    Tensor skip(int outLayer);

    /**
     * The reconstruction of {@code outLayer}'s MLP output [rows, d_model]: b_dec, every decoder writing there
     * from the features {@code codes[l]} read at layers l ≤ outLayer (null entries skipped), and the skip path of
     * {@code input}, the MLP input at outLayer.
     */
    default float[] reconstruct(int outLayer, SparseCodes[] codes, float[] input, int rows) {
        int d = dModel();
        float[] out = new float[rows * d];
        float[] b = decoderBias(outLayer);
        for (int r = 0; r < rows; r++) System.arraycopy(b, 0, out, r * d, d);
        for (int l = 0; l <= outLayer; l++) {
            SparseCodes f = codes[l];
            if (f == null || lastOutputLayer(l) < outLayer) continue;
            for (int r = 0; r < rows; r++) {
                for (int c = f.rowStart()[r]; c < f.rowStart()[r + 1]; c++) addDecoder(l, f.index()[c], outLayer, f.value()[c], out, r * d);
            }
        }
        Tensor s = skip(outLayer);
        if (s != null) dev.loupe.core.kernels.Sgemm.sgemm(false, true, rows, d, d, 1f, input, 0, d, s.data(), 0, d, 1f, out, 0, d);
        return out;
    }
}
