package dev.loupe.sae;

import java.util.LinkedHashMap;
import java.util.Map;

/** Gradients of the training loss, one array per parameter of {@link Sae#parameters()} (same layouts). */
record Grads(float[] wEncT, float[] bEnc, float[] wDec, float[] bDec, float[] threshold) {
    static Grads zerosLike(Sae sae) {
        int d = sae.dIn(), n = sae.dSae();
        return new Grads(new float[n * d], new float[n], new float[n * d], new float[d], sae.threshold == null ? null : new float[n]);
    }

    /** By parameter name, in {@link Sae#parameters()} order. */
    Map<String, float[]> byName() {
        Map<String, float[]> m = new LinkedHashMap<>();
        m.put("W_enc_T", wEncT);
        m.put("b_enc", bEnc);
        m.put("W_dec", wDec);
        m.put("b_dec", bDec);
        if (threshold != null) m.put("threshold", threshold);
        return m;
    }
}
