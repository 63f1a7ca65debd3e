package dev.loupe.sae;

import java.util.Arrays;

/**
 * BatchTopK SAE (Bussmann et al. 2024): during training keep the k·batch largest positive pre-activations of
 * the whole batch, so tokens share a budget of k on average; at inference a single threshold θ (the running
 * mean of the smallest kept activation) replaces the batch, which makes the trained SAE a JumpReLU with one
 * threshold for all latents. AuxK as TopK.
 */
final class BatchTopKArch implements SaeArchitecture {
    /** Weight of the newest batch in θ's exponential moving average. */
    private static final float THRESHOLD_RATE = 0.01f;

    @Override
    public String name() {
        return "batchtopk";
    }

    @Override
    public boolean usesK() {
        return true;
    }

    @Override
    public boolean hasThreshold() {
        return true;
    }

    @Override
    public boolean auxK() {
        return true;
    }

    @Override
    public String inferenceName() {
        return "jumprelu";
    }

    @Override
    public SparseCodes activate(Latents l, float[] pre, int rows) {
        return SparseCodes.above(pre, rows, l.count(), l.threshold());
    }

    @Override
    public SparseCodes activateForTraining(Latents l, float[] pre, int rows) {
        long budget = (long) l.k() * rows;
        float[] positive = new float[pre.length];
        int n = 0;
        for (float v : pre) if (v > 0) positive[n++] = v;
        float cut = n <= budget ? 0f : kthLargest(positive, n, (int) budget);
        float[] threshold = new float[l.count()];
        Arrays.fill(threshold, n <= budget ? 0f : Math.nextDown(cut));
        SparseCodes codes = SparseCodes.above(pre, rows, l.count(), threshold);
        if (n > 0) {
            float smallest = n <= budget ? min(positive, n) : cut;
            float old = l.threshold()[0];
            float next = old == 0 ? smallest : (1 - THRESHOLD_RATE) * old + THRESHOLD_RATE * smallest;
            Arrays.fill(l.threshold(), next);
        }
        return codes;
    }

    private static float min(float[] a, int n) {
        float m = Float.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) m = Math.min(m, a[i]);
        return m;
    }

    /** The k-th largest of a[0..n) (quickselect; reorders a). */
    static float kthLargest(float[] a, int n, int k) {
        int lo = 0, hi = n - 1, target = k - 1;
        while (lo < hi) {
            float pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] > pivot) i++;
                while (a[j] < pivot) j--;
                if (i <= j) {
                    float t = a[i];
                    a[i++] = a[j];
                    a[j--] = t;
                }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return a[target];
        }
        return a[target];
    }
}
