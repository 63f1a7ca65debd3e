package dev.loupe.train.toy;

import dev.loupe.train.AdamW;
import java.util.SplittableRandom;

/**
 * The ReLU output model of "Toy Models of Superposition": n sparse features compressed into m < n hidden
 * dimensions and read back, x' = ReLU(WᵀW x + b), W [m, n]. Feature i is 0 with probability
 * {@code sparsity}, else uniform on [0, 1]; the loss is the importance-weighted squared error
 * Σᵢ Iᵢ (xᵢ - x'ᵢ)², averaged over the batch. Gradients are written out by hand (the model is tiny) and
 * the optimiser is Adam.
 *
 * @param w [m, n] row-major: column i is feature i's direction in the hidden space
 * @param b [n] output bias
 * @param loss final training loss (mean over the last 100 steps)
 */
public record ReluToyModel(int features, int hidden, float[] w, float[] b, double loss) {

    /** Training settings. */
    public record Settings(int steps, int batch, double lr, long seed) {
        public static final Settings DEFAULT = new Settings(5000, 1024, 1e-3, 0);
    }

    /** Trains one model; {@code importance[i]} weights feature i's error. */
    public static ReluToyModel train(int n, int m, double sparsity, float[] importance, Settings s) {
        SplittableRandom rng = new SplittableRandom(s.seed());
        float[] w = new float[m * n], b = new float[n];
        double bound = Math.sqrt(6.0 / (m + n)); // Xavier uniform
        for (int i = 0; i < w.length; i++) w[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        float[] mw = new float[w.length], vw = new float[w.length], mb = new float[n], vb = new float[n];
        float[] x = new float[s.batch() * n], gw = new float[w.length], gb = new float[n];
        float[] h = new float[m], gh = new float[m], gy = new float[n];
        double recent = 0;
        for (int step = 1; step <= s.steps(); step++) {
            for (int i = 0; i < x.length; i++) x[i] = rng.nextDouble() < sparsity ? 0f : (float) rng.nextDouble();
            java.util.Arrays.fill(gw, 0f);
            java.util.Arrays.fill(gb, 0f);
            double loss = 0;
            for (int r = 0; r < s.batch(); r++) {
                int xo = r * n;
                for (int k = 0; k < m; k++) {
                    float acc = 0;
                    for (int i = 0; i < n; i++) acc += w[k * n + i] * x[xo + i];
                    h[k] = acc;
                }
                for (int j = 0; j < n; j++) {
                    float y = b[j];
                    for (int k = 0; k < m; k++) y += w[k * n + j] * h[k];
                    float out = Math.max(0f, y), err = out - x[xo + j];
                    loss += importance[j] * err * err;
                    gy[j] = y > 0 ? 2 * importance[j] * err / s.batch() : 0f;
                    gb[j] += gy[j];
                }
                // y = Wᵀ(Wx): dL/dW[k][j] = h[k]·gy[j] + (W gy)[k]·x[j]
                for (int k = 0; k < m; k++) {
                    float acc = 0;
                    for (int j = 0; j < n; j++) acc += w[k * n + j] * gy[j];
                    gh[k] = acc;
                }
                for (int k = 0; k < m; k++) {
                    for (int j = 0; j < n; j++) gw[k * n + j] += h[k] * gy[j] + gh[k] * x[xo + j];
                }
            }
            AdamW.update(w, gw, mw, vw, step, s.lr(), 0.9, 0.999, 1e-8, 0);
            AdamW.update(b, gb, mb, vb, step, s.lr(), 0.9, 0.999, 1e-8, 0);
            if (step > s.steps() - 100) recent += loss / s.batch();
        }
        return new ReluToyModel(n, m, w, b, recent / Math.min(100, s.steps()));
    }

    /** Importances Iᵢ = decay^i. */
    public static float[] geometricImportance(int n, double decay) {
        float[] imp = new float[n];
        for (int i = 0; i < n; i++) imp[i] = (float) Math.pow(decay, i);
        return imp;
    }

    /** ||W_i||: the length of feature i's direction (about 1 when represented, 0 when dropped). */
    public double norm(int i) {
        double s = 0;
        for (int k = 0; k < hidden; k++) s += (double) w[k * features + i] * w[k * features + i];
        return Math.sqrt(s);
    }

    /** (WᵀW)[i][j]. */
    public double gram(int i, int j) {
        double s = 0;
        for (int k = 0; k < hidden; k++) s += (double) w[k * features + i] * w[k * features + j];
        return s;
    }

    /** Σ_{j≠i} (Ŵᵢ·W_j)²: how much other features share feature i's direction (0 when it has a dimension to itself). */
    public double superposition(int i) {
        double ni = norm(i);
        if (ni < 1e-6) return 0;
        double s = 0;
        for (int j = 0; j < features; j++) if (j != i) s += Math.pow(gram(i, j) / ni, 2);
        return s;
    }

    /** Features with ||W_i|| above {@code threshold} (0.5 is the customary "represented" cut). */
    public int represented(double threshold) {
        int c = 0;
        for (int i = 0; i < features; i++) if (norm(i) > threshold) c++;
        return c;
    }
}
