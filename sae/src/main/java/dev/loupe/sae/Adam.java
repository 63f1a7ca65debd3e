package dev.loupe.sae;

import dev.loupe.core.Parallel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam (Kingma & Ba) over named float arrays, with bias correction. One fused pass per parameter reads the
 * gradient, updates both moments and the parameter, and zeroes the gradient for the next step, so the
 * sparse kernels can accumulate into it without a separate clear.
 */
final class Adam {
    final double beta1, beta2, eps;
    final Map<String, float[]> m = new LinkedHashMap<>();
    final Map<String, float[]> v = new LinkedHashMap<>();
    long steps;

    Adam(Map<String, float[]> params, double beta1, double beta2, double eps) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        params.forEach((name, p) -> {
            m.put(name, new float[p.length]);
            v.put(name, new float[p.length]);
        });
    }

    /** Updates every parameter in {@code params} with its gradient in {@code grads} (then zeroed). */
    void step(Map<String, float[]> params, Map<String, float[]> grads, double lr) {
        steps++;
        float b1 = (float) beta1, b2 = (float) beta2, e = (float) eps;
        float c1 = (float) (1 - Math.pow(beta1, steps)), c2 = (float) Math.sqrt(1 - Math.pow(beta2, steps));
        float stepSize = (float) (lr / c1) * c2;
        float epsHat = e * c2;
        for (var entry : params.entrySet()) {
            float[] p = entry.getValue(), g = grads.get(entry.getKey()), mm = m.get(entry.getKey()), vv = v.get(entry.getKey());
            Parallel.forRange(p.length, 4096, (a, b) -> {
                for (int i = a; i < b; i++) {
                    float gi = g[i];
                    g[i] = 0f;
                    float mi = b1 * mm[i] + (1 - b1) * gi;
                    float vi = b2 * vv[i] + (1 - b2) * gi * gi;
                    mm[i] = mi;
                    vv[i] = vi;
                    p[i] -= stepSize * mi / ((float) Math.sqrt(vi) + epsHat);
                }
            });
        }
    }
}
