package dev.loupe.circuits;

import dev.loupe.sae.SparseCodes;
import dev.loupe.sae.transcoder.Transcoders;

/**
 * The transcoder features active on a prompt, in circuit-tracer's node order: sorted by (layer, position,
 * feature), with position 0 left out (its features are zeroed, as circuit-tracer does for the BOS token, whose
 * huge-norm residual would dominate every graph). Also the reconstruction error at every (layer, position):
 * the real MLP output minus the transcoders' reconstruction (b_dec and the skip path included), zero at
 * position 0.
 *
 * @param layerStart features of layer l are {@code [layerStart[l], layerStart[l+1])}
 * @param errors [layer][pos·d]
 */
public record ActiveFeatures(int[] layer, int[] position, int[] feature, float[] value, int[] layerStart, float[][] errors) {

    public int size() {
        return value.length;
    }

    /** Encodes every layer's MLP input. Cost: one encoder GEMM per layer, O(L · P · d · d_tc). */
    public static ActiveFeatures of(LocalReplacementModel m) {
        Transcoders tc = m.transcoders();
        int nLayers = tc.nLayers(), pos = m.positions(), d = tc.dModel();
        SparseCodes[] codes = new SparseCodes[nLayers];
        int total = 0;
        for (int l = 0; l < nLayers; l++) {
            codes[l] = tc.encode(l, m.mlpInput(l), pos);
            total += codes[l].nnz() - codes[l].count(0);
        }
        int[] layer = new int[total], position = new int[total], feature = new int[total], layerStart = new int[nLayers + 1];
        float[] value = new float[total];
        float[][] errors = new float[nLayers][];
        int n = 0;
        for (int l = 0; l < nLayers; l++) {
            layerStart[l] = n;
            SparseCodes f = codes[l];
            for (int p = 1; p < pos; p++) {
                for (int c = f.rowStart()[p]; c < f.rowStart()[p + 1]; c++) {
                    layer[n] = l;
                    position[n] = p;
                    feature[n] = f.index()[c];
                    value[n++] = f.value()[c];
                }
            }
            float[] recon = tc.reconstruct(l, codes, m.mlpInput(l), pos);
            float[] out = m.mlpOutput(l), err = new float[pos * d];
            for (int i = d; i < pos * d; i++) err[i] = out[i] - recon[i];
            errors[l] = err;
        }
        layerStart[nLayers] = n;
        return new ActiveFeatures(layer, position, feature, value, layerStart, errors);
    }

    /** Index of the first feature at or after (l, p), within layer l's range. */
    int firstAt(int l, int p) {
        int lo = layerStart[l], hi = layerStart[l + 1];
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (position[mid] < p) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
