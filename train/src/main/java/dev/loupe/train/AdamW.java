package dev.loupe.train;

import dev.loupe.core.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter): p -= lr·(m̂/(√v̂+eps) + wd·p), decay applied only
 * to the parameters named in {@code decayed}. State is float32, updated in a fixed order, so runs are
 * reproducible bit for bit.
 */
public final class AdamW {
    private final Map<String, Tensor> params;
    private final Set<String> decayed;
    private final double beta1, beta2, eps, weightDecay;
    private final Map<String, float[]> m = new LinkedHashMap<>();
    private final Map<String, float[]> v = new LinkedHashMap<>();
    private long steps;

    public AdamW(Map<String, Tensor> params, Set<String> decayed, double beta1, double beta2, double eps, double weightDecay) {
        this.params = params;
        this.decayed = decayed;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        params.forEach((name, p) -> {
            m.put(name, new float[p.numel()]);
            v.put(name, new float[p.numel()]);
        });
    }

    /** One update from the parameters' accumulated gradients (a parameter without gradient is left alone). */
    public void step(double lr) {
        steps++;
        params.forEach((name, p) -> {
            if (p.grad() == null) return;
            update(p.data(), p.grad().data(), m.get(name), v.get(name), steps, lr, beta1, beta2, eps, decayed.contains(name) ? weightDecay : 0);
        });
    }

    /** The AdamW update of one array {@code w} with gradient {@code g} and moments {@code m}, {@code v} at step {@code t} (1-based). */
    public static void update(float[] w, float[] g, float[] m, float[] v, long t, double lr, double beta1, double beta2, double eps,
                              double weightDecay) {
        float c1 = (float) (1 - Math.pow(beta1, t)), c2 = (float) (1 - Math.pow(beta2, t));
        float b1 = (float) beta1, b2 = (float) beta2, e = (float) eps, rate = (float) lr, decay = (float) (lr * weightDecay);
        for (int i = 0; i < w.length; i++) {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            float mHat = m[i] / c1, vHat = v[i] / c2;
            w[i] = w[i] - decay * w[i] - rate * mHat / ((float) Math.sqrt(vHat) + e);
        }
    }

    /** Updates taken so far. */
    public long steps() {
        return steps;
    }

    /** First-moment state by parameter name (live arrays: for checkpoints). */
    public Map<String, float[]> firstMoments() {
        return m;
    }

    /** Second-moment state by parameter name (live arrays: for checkpoints). */
    public Map<String, float[]> secondMoments() {
        return v;
    }

    /** Restores the step count after loading moments from a checkpoint. */
    public void restoreSteps(long steps) {
        this.steps = steps;
    }

    /** Scales every gradient so their global L2 norm is at most {@code maxNorm}; returns the norm before clipping. */
    public static double clipGradNorm(Map<String, Tensor> params, double maxNorm) {
        double sq = 0;
        for (Tensor p : params.values()) {
            if (p.grad() == null) continue;
            for (float g : p.grad().data()) sq += (double) g * g;
        }
        double norm = Math.sqrt(sq);
        if (norm > maxNorm) {
            float s = (float) (maxNorm / (norm + 1e-6));
            for (Tensor p : params.values()) {
                if (p.grad() == null) continue;
                float[] g = p.grad().data();
                for (int i = 0; i < g.length; i++) g[i] *= s;
            }
        }
        return norm;
    }
}
