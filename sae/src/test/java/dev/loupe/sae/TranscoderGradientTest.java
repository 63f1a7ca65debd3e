package dev.loupe.sae;

import dev.loupe.sae.transcoder.TranscoderHooks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The transcoder training kernels' gradients (PLT, skip, CLT × ReLU+L1, TopK, JumpReLU) against finite differences of the loss. */
class TranscoderGradientTest {
    static final int D = 6, N = 10, ROWS = 5;
    static final float COEF = 0.3f, EPS = 0.05f;

    static TranscoderWeights weights(String kind, String act, int[] layers, long seed) {
        TranscoderSpec spec = new TranscoderSpec(kind, act, layers, D, N, act.equals("topk") ? 3 : 0, TranscoderHooks.MLP, "test");
        Rng rng = new Rng(seed);
        TranscoderWeights w = TranscoderWeights.initialize(spec, rng, 0.7f, 0.2f);
        for (var e : w.parameters().entrySet()) {
            float[] p = e.getValue();
            double scale = e.getKey().startsWith("threshold") ? 0 : e.getKey().startsWith("W_skip") ? 0.3 : 0.2;
            for (int i = 0; i < p.length; i++) p[i] += (float) (scale * rng.nextGaussian());
            if (e.getKey().startsWith("threshold")) for (int i = 0; i < p.length; i++) p[i] = (float) (0.1 + 0.2 * rng.nextDouble());
        }
        return w;
    }

    static float[] data(int width, long seed) {
        Rng rng = new Rng(seed);
        float[] x = new float[ROWS * width];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        return x;
    }

    @ParameterizedTest
    @CsvSource({"transcoder,standard", "transcoder,topk", "transcoder,jumprelu", "skip_transcoder,standard", "skip_transcoder,jumprelu",
            "clt,standard", "clt,topk", "clt,jumprelu"})
    void gradientsMatchFiniteDifferences(String kind, String act) {
        int[] layers = kind.equals("clt") ? new int[] {0, 1, 3} : new int[] {2};
        TranscoderWeights w = weights(kind, act, layers, 7);
        int width = layers.length * D;
        float[] x = data(width, 11), y = data(width, 12);
        TranscoderWeights g = TranscoderWeights.zeros(w.spec);
        TranscoderStep.run(w, x, y, ROWS, COEF, EPS, g, null, null);
        Map<String, float[]> grads = g.parameters();
        int checked = 0, smooth = 0;
        Rng pick = new Rng(3);
        for (var e : w.parameters().entrySet()) {
            if (e.getKey().startsWith("threshold")) continue; // step functions: pseudo-gradient, as SaeGradientTest checks for JumpReLU
            float[] p = e.getValue(), grad = grads.get(e.getKey());
            for (int t = 0; t < 10; t++) {
                int i = pick.nextInt(p.length);
                float h = 1e-3f, orig = p[i];
                p[i] = orig + h;
                double up = loss(w, x, y);
                p[i] = orig - h;
                double down = loss(w, x, y);
                p[i] = orig;
                double mid = loss(w, x, y);
                checked++;
                double fwd = (up - mid) / h, bwd = (mid - down) / h;
                if (Math.abs(fwd - bwd) > 0.05 * Math.max(1, Math.abs(fwd))) continue; // a selection flipped here
                smooth++;
                double fd = (up - down) / (2 * h);
                assertEquals(fd, grad[i], 2e-3 + 1e-2 * Math.abs(fd), kind + "/" + act + " " + e.getKey() + "[" + i + "]");
            }
        }
        assertTrue(smooth >= checked * 0.8, kind + "/" + act + ": only " + smooth + " of " + checked + " coordinates were away from a kink");
    }

    private static double loss(TranscoderWeights w, float[] x, float[] y) {
        return TranscoderStep.run(w, x, y, ROWS, COEF, EPS, null, null, null).loss();
    }
}
