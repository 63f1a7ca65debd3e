package dev.loupe.train;

import dev.loupe.core.Parallel;
import dev.loupe.core.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Loupe's one optimizer: Adam with decoupled weight decay (Loshchilov & Hutter), p -= lr·(m̂/(√v̂+eps) + wd·p), decay
 * applied only to the parameters named in {@code decayed} (none for plain Adam). It steps either autograd tensors
 * (their {@code grad()}, for language models) or named arrays whose gradients a hand-written backward pass filled
 * (SAEs, transcoders; each gradient is zeroed once used, so the next pass can accumulate into it). State is float32
 * and the update elementwise, so runs are reproducible bit for bit however the work is split across threads.
 */
public final class AdamW {
    private static final int GRAIN = 4096;
    private final Map<String, Tensor> params;
    private final Set<String> decayed;
    private final double beta1, beta2, eps, weightDecay;
    private final Map<String, float[]> m = new LinkedHashMap<>();
    private final Map<String, float[]> v = new LinkedHashMap<>();
    private long steps;

    /** AdamW over autograd tensors, stepped by {@link #step(double)}. */
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

    /** Adam (no weight decay) over named arrays, stepped by {@link #step(Map, Map, double)}. */
    public static AdamW forArrays(Map<String, float[]> arrays, double beta1, double beta2, double eps) {
        Map<String, Tensor> shapes = new LinkedHashMap<>();
        arrays.forEach((name, a) -> shapes.put(name, Tensor.of(a, a.length)));
        return new AdamW(shapes, Set.of(), beta1, beta2, eps, 0);
    }

    /** One update from the parameters' accumulated gradients (a parameter without gradient is left alone). */
    public void step(double lr) {
        steps++;
        params.forEach((name, p) -> {
            if (p.grad() == null) return;
            update(p.data(), p.grad().data(), name, lr);
        });
    }

    /**
     * One update of {@code arrays} (the arrays this optimizer was made for, by name) from {@code grads}, each zeroed
     * afterwards.
     */
    public void step(Map<String, float[]> arrays, Map<String, float[]> grads, double lr) {
        steps++;
        arrays.forEach((name, w) -> {
            float[] g = grads.get(name);
            update(w, g, name, lr);
            Arrays.fill(g, 0f);
        });
    }

    private void update(float[] w, float[] g, String name, double lr) {
        float[] mm = m.get(name), vv = v.get(name);
        double decay = decayed.contains(name) ? weightDecay : 0;
        Parallel.forRange(w.length, GRAIN, (a, b) -> update(w, g, mm, vv, a, b, steps, lr, beta1, beta2, eps, decay));
    }

    /** The AdamW update of one array {@code w} with gradient {@code g} and moments {@code m}, {@code v} at step {@code t} (1-based). */
    public static void update(float[] w, float[] g, float[] m, float[] v, long t, double lr, double beta1, double beta2, double eps,
                              double weightDecay) {
        update(w, g, m, v, 0, w.length, t, lr, beta1, beta2, eps, weightDecay);
    }

    private static void update(float[] w, float[] g, float[] m, float[] v, int from, int to, long t, double lr, double beta1, double beta2,
                               double eps, double weightDecay) {
        float c1 = (float) (1 - Math.pow(beta1, t)), c2 = (float) (1 - Math.pow(beta2, t));
        float b1 = (float) beta1, b2 = (float) beta2, e = (float) eps, rate = (float) lr, decay = (float) (lr * weightDecay);
        for (int i = from; i < to; i++) {
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
