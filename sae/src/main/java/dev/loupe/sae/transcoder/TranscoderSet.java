package dev.loupe.sae.transcoder;

import dev.loupe.sae.SaeArchitecture;
import dev.loupe.sae.SaeArchitectures;
import dev.loupe.core.Tensor;
import dev.loupe.sae.SparseCodes;
import dev.loupe.sae.Vec;
import java.util.List;

/** One per-layer transcoder for each layer 0..n-1 (circuit-tracer's {@code transcoder_set}). */
public record TranscoderSet(List<Transcoder> layers, TranscoderHooks hooks, String scan) implements Transcoders {

    public TranscoderSet {
        layers = List.copyOf(layers);
        if (layers.isEmpty()) throw new IllegalArgumentException("a transcoder set needs at least one layer");
        for (int l = 0; l < layers.size(); l++) {
            Transcoder t = layers.get(l);
            if (t.layer() != l) throw new IllegalArgumentException("transcoder set: entry " + l + " is for layer " + t.layer() + "; every layer 0.." + (layers.size() - 1) + " needs exactly one");
            if (t.dModel() != layers.get(0).dModel() || !t.activation().name().equals(layers.get(0).activation().name())) {
                throw new IllegalArgumentException("transcoder set: layer " + l + " has d_model " + t.dModel() + " / " + SaeArchitectures.activationName(t.activation())
                        + " but layer 0 has " + layers.get(0).dModel() + " / " + SaeArchitectures.activationName(layers.get(0).activation()));
            }
        }
    }

    public Transcoder layer(int l) {
        return layers.get(l);
    }

    @Override
    public int nLayers() {
        return layers.size();
    }

    @Override
    public int dModel() {
        return layers.get(0).dModel();
    }

    @Override
    public int width(int layer) {
        return layers.get(layer).width();
    }

    @Override
    public SaeArchitecture activation() {
        return layers.get(0).activation();
    }

    @Override
    public float[] preActivations(int layer, float[] x, int rows) {
        return layers.get(layer).preActivations(x, rows);
    }

    @Override
    public SparseCodes encode(int layer, float[] x, int rows) {
        return layers.get(layer).encode(x, rows);
    }

    @Override
    public Tensor encoder(int layer) {
        return layers.get(layer).encoder();
    }

    @Override
    public int lastOutputLayer(int layer) {
        return layer;
    }

    @Override
    public void addDecoder(int layer, int feature, int outLayer, float scale, float[] out, int off) {
        if (outLayer != layer) throw new IllegalArgumentException("a per-layer transcoder's feature at layer " + layer + " writes only there, not to layer " + outLayer);
        Transcoder t = layers.get(layer);
        Vec.axpy(scale, t.wDec(), feature * t.dModel(), out, off, t.dModel());
    }

    @Override
    public void decoderDots(int layer, int feature, int outLayer, float[] x, int[] offsets, int count, float[] out) {
        if (outLayer != layer) throw new IllegalArgumentException("a per-layer transcoder's feature at layer " + layer + " writes only there, not to layer " + outLayer);
        Transcoder t = layers.get(layer);
        Vec.dots(t.wDec(), feature * t.dModel(), x, offsets, count, t.dModel(), out);
    }

    @Override
    public float[] decoderBias(int outLayer) {
        return layers.get(outLayer).bDec();
    }

    @Override
    public Tensor skip(int outLayer) {
        return layers.get(outLayer).skip();
    }
}
