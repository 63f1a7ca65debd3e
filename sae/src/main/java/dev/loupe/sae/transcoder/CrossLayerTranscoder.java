package dev.loupe.sae.transcoder;

import dev.loupe.sae.SaeArchitecture;
import dev.loupe.sae.SaeArchitectures;
import dev.loupe.core.Tensor;
import dev.loupe.sae.SparseCodes;
import dev.loupe.sae.Vec;

/**
 * A cross-layer transcoder (CLT): an encoder per layer, and each feature read at layer s has a decoder for
 * every layer t ≥ s, so the reconstruction of layer t's MLP output is {@code b_dec[t] + Σ_{s≤t} f_s W_dec[s][:, t−s]}
 * (plus an optional skip of layer t's input). The arrays follow circuit-tracer's files: {@code wEnc[s]}
 * [width, d_model], {@code wDec[s]} [width, n_layers − s, d_model], {@code bDec[t]} [d_model];
 * {@code wSkip[t]} is kept as a linear [out, in] weight.
 *
 * @param threshold per layer [width] for JumpReLU, else null
 * @param k features per row for TopK, else 0
 * @param wSkip per layer [d_model, d_model] or null
 */
public record CrossLayerTranscoder(int nLayers, int dModel, int width, SaeArchitecture activation, float[][] wEnc, float[][] bEnc,
                                   float[][] wDec, float[][] bDec, float[][] threshold, int k, float[][] wSkip, TranscoderHooks hooks,
                                   String scan) implements Transcoders {

    public CrossLayerTranscoder {
        for (int l = 0; l < nLayers; l++) {
            String what = "cross-layer transcoder layer " + l;
            Transcoder.check(what, "W_enc", wEnc[l], (long) width * dModel);
            Transcoder.check(what, "b_enc", bEnc[l], width);
            Transcoder.check(what, "W_dec", wDec[l], (long) width * (nLayers - l) * dModel);
            Transcoder.check(what, "b_dec", bDec[l], dModel);
            if (threshold != null) Transcoder.check(what, "threshold", threshold[l], width);
            if (wSkip != null) Transcoder.check(what, "W_skip", wSkip[l], (long) dModel * dModel);
        }
        Transcoder.requireInference("cross-layer transcoder", activation);
        if (activation.hasThreshold() != (threshold != null)) {
            throw new IllegalArgumentException("cross-layer transcoder: thresholds are given exactly for jumprelu");
        }
        if (activation.usesK() != (k > 0)) throw new IllegalArgumentException("cross-layer transcoder: k > 0 exactly for topk, got k=" + k);
    }

    @Override
    public int width(int layer) {
        return width;
    }

    @Override
    public float[] preActivations(int layer, float[] x, int rows) {
        return TranscoderMath.preActivations(x, rows, dModel, wEnc[layer], bEnc[layer], width);
    }

    @Override
    public SparseCodes encode(int layer, float[] x, int rows) {
        return SaeArchitectures.activate(activation, preActivations(layer, x, rows), rows, width, threshold == null ? null : threshold[layer], k);
    }

    @Override
    public Tensor encoder(int layer) {
        return Tensor.of(wEnc[layer], width, dModel);
    }

    @Override
    public int lastOutputLayer(int layer) {
        return nLayers - 1;
    }

    @Override
    public void addDecoder(int layer, int feature, int outLayer, float scale, float[] out, int off) {
        if (outLayer < layer || outLayer >= nLayers) throw new IllegalArgumentException("a feature read at layer " + layer + " writes to layers " + layer + ".." + (nLayers - 1) + ", not " + outLayer);
        int span = nLayers - layer;
        Vec.axpy(scale, wDec[layer], (feature * span + outLayer - layer) * dModel, out, off, dModel);
    }

    @Override
    public void decoderDots(int layer, int feature, int outLayer, float[] x, int[] offsets, int count, float[] out) {
        if (outLayer < layer || outLayer >= nLayers) throw new IllegalArgumentException("a feature read at layer " + layer + " writes to layers " + layer + ".." + (nLayers - 1) + ", not " + outLayer);
        Vec.dots(wDec[layer], (feature * (nLayers - layer) + outLayer - layer) * dModel, x, offsets, count, dModel, out);
    }

    @Override
    public float[] decoderBias(int outLayer) {
        return bDec[outLayer];
    }

    @Override
    public Tensor skip(int outLayer) {
        return wSkip == null ? null : Tensor.of(wSkip[outLayer], dModel, dModel);
    }
}
