package dev.loupe.circuits;

import dev.loupe.sae.SaeArchitectures;
import dev.loupe.sae.transcoder.CrossLayerTranscoder;
import dev.loupe.sae.transcoder.Transcoder;
import dev.loupe.sae.transcoder.TranscoderHooks;
import dev.loupe.sae.transcoder.TranscoderSet;
import dev.loupe.sae.transcoder.Transcoders;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded random ReLU transcoders for any model shape, for tests that need transcoders on a model the circuits-tiny
 * sets were not made for: encoder rows ~ N(0, 1/d) with b_enc −0.5 (about a third of the features fire on a
 * normalised input), decoder rows ~ N(0, 1/d).
 */
final class RandomTranscoders {
    private RandomTranscoders() {}

    static TranscoderSet perLayer(int nLayers, int d, int width, long seed) {
        Random r = new Random(seed);
        List<Transcoder> layers = new ArrayList<>();
        for (int l = 0; l < nLayers; l++) {
            layers.add(new Transcoder(l, d, width, SaeArchitectures.get("standard"), gauss(r, width * d, 1 / Math.sqrt(d)), fill(width, -0.5f),
                    gauss(r, width * d, 1 / Math.sqrt(d)), gauss(r, d, 0.1), null, 0, null));
        }
        return new TranscoderSet(layers, TranscoderHooks.MLP, null);
    }

    static CrossLayerTranscoder crossLayer(int nLayers, int d, int width, long seed) {
        Random r = new Random(seed);
        float[][] wEnc = new float[nLayers][], bEnc = new float[nLayers][], wDec = new float[nLayers][], bDec = new float[nLayers][];
        for (int l = 0; l < nLayers; l++) {
            wEnc[l] = gauss(r, width * d, 1 / Math.sqrt(d));
            bEnc[l] = fill(width, -0.5f);
            wDec[l] = gauss(r, width * (nLayers - l) * d, 1 / Math.sqrt(d));
            bDec[l] = gauss(r, d, 0.1);
        }
        return new CrossLayerTranscoder(nLayers, d, width, SaeArchitectures.get("standard"), wEnc, bEnc, wDec, bDec, null, 0, null, TranscoderHooks.MLP, null);
    }

    private static float[] gauss(Random r, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * std);
        return a;
    }

    private static float[] fill(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
