package dev.loupe.core.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Streamed attention (query blocks, no [heads, pos, keys] tensor) gives the same bits as the materialised
 * scores → softmax → mix, and both equal a plain double-precision reference, with sliding windows, soft-caps,
 * grouped K/V heads and a KV cache holding earlier positions.
 */
class AttentionTest {
    @ParameterizedTest
    @CsvSource({"1, 150, 150, 0, 0", "2, 130, 140, 5, 0", "1, 70, 70, 0, 2.5", "2, 1, 40, 7, 3", "1, 200, 200, 64, 50",
            "1, 600, 600, 100, 0", "1, 130, 700, 300, 0", "1, 77, 77, 0, 0", "1, 9, 300, 0, 0"})
    void streamedEqualsMaterialisedAndReference(int batch, int pos, int keys, int window, float softcap) {
        int heads = 4, kvHeads = 2, dh = 16, cap = keys + 3;
        Random rng = new Random(pos * 31L + keys);
        float[] q = random(rng, batch * pos * heads * dh), k = random(rng, batch * cap * kvHeads * dh), v = random(rng, batch * cap * kvHeads * dh);
        var d = new Attention.Dims(batch, pos, keys, cap, heads, kvHeads, dh, true, window, softcap);
        float scale = 0.3f;
        float[] streamed = new float[batch * pos * heads * dh];
        Attention.attend(q, k, v, d, scale, streamed);
        float[] scores = new float[batch * heads * pos * keys];
        Attention.scores(q, k, d, scale, scores);
        Softmax.rows(scores, scores, batch * heads * pos, keys);
        float[] materialised = new float[streamed.length];
        Attention.mix(scores, v, d, materialised);
        assertArrayEquals(materialised, streamed, "streamed and materialised attention differ in bits");

        double worst = 0;
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int g = h / (heads / kvHeads);
                for (int p = 0; p < pos; p++) {
                    int abs = keys - pos + p, lo = window > 0 ? Math.max(0, abs - window + 1) : 0;
                    double[] w = new double[keys];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = lo; j <= abs; j++) {
                        double s = 0;
                        for (int i = 0; i < dh; i++) s += q[((b * pos + p) * heads + h) * dh + i] * k[((b * cap + j) * kvHeads + g) * dh + i];
                        s *= scale;
                        if (softcap > 0) s = softcap * Math.tanh(s / softcap);
                        w[j] = s;
                        max = Math.max(max, s);
                    }
                    for (int j = lo; j <= abs; j++) sum += w[j] = Math.exp(w[j] - max);
                    for (int i = 0; i < dh; i++) {
                        double z = 0;
                        for (int j = lo; j <= abs; j++) z += w[j] / sum * v[((b * cap + j) * kvHeads + g) * dh + i];
                        worst = Math.max(worst, Math.abs(z - streamed[((b * pos + p) * heads + h) * dh + i]));
                    }
                }
            }
        }
        assertTrue(worst < 1e-5, "attention differs from the reference by " + worst);
    }

    @ParameterizedTest
    @CsvSource({"2.0", "30.0"})
    void softCapKeepsMaskedScoresAndMatchesTanh(float cap) {
        float[] x = {0f, 1e-3f, -0.5f, 3f, -40f, 1e4f, Float.NEGATIVE_INFINITY, 0.25f, 7f};
        float[] y = x.clone();
        SoftCap.apply(y, 0, y.length, cap);
        for (int i = 0; i < x.length; i++) {
            if (x[i] == Float.NEGATIVE_INFINITY) {
                assertEquals(Float.NEGATIVE_INFINITY, y[i]);
            } else {
                assertEquals(cap * Math.tanh(x[i] / cap), y[i], 2e-6 * cap, "softcap(" + x[i] + ")");
            }
        }
    }

    private static float[] random(Random rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rng.nextGaussian();
        return a;
    }
}
