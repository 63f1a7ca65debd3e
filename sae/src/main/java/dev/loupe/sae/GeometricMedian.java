package dev.loupe.sae;

/**
 * The geometric median of rows (the point minimising the summed Euclidean distance to them) by Weiszfeld's
 * iteration: repeatedly the mean of the rows weighted by 1/distance. A robust centre for b_dec: unlike the
 * mean it is not pulled by the few huge-norm activations a residual stream has.
 */
public final class GeometricMedian {
    private GeometricMedian() {}

    /** Mean of x [rows, d]. */
    public static float[] mean(float[] x, int rows, int d) {
        double[] s = new double[d];
        for (int r = 0; r < rows; r++) for (int i = 0; i < d; i++) s[i] += x[r * d + i];
        float[] out = new float[d];
        for (int i = 0; i < d; i++) out[i] = (float) (s[i] / rows);
        return out;
    }

    /** Weiszfeld from the mean, until the point moves less than {@code tol} (relative) or {@code maxIter} passes. */
    public static float[] of(float[] x, int rows, int d, int maxIter, double tol) {
        double[] y = new double[d];
        float[] m = mean(x, rows, d);
        for (int i = 0; i < d; i++) y[i] = m[i];
        for (int it = 0; it < maxIter; it++) {
            double[] num = new double[d];
            double den = 0;
            for (int r = 0; r < rows; r++) {
                double dist = 0;
                for (int i = 0; i < d; i++) {
                    double v = x[r * d + i] - y[i];
                    dist += v * v;
                }
                dist = Math.max(Math.sqrt(dist), 1e-12);
                double w = 1 / dist;
                den += w;
                for (int i = 0; i < d; i++) num[i] += w * x[r * d + i];
            }
            double move = 0, norm = 0;
            for (int i = 0; i < d; i++) {
                double next = num[i] / den;
                move += (next - y[i]) * (next - y[i]);
                norm += next * next;
                y[i] = next;
            }
            if (Math.sqrt(move) <= tol * Math.max(Math.sqrt(norm), 1e-12)) break;
        }
        float[] out = new float[d];
        for (int i = 0; i < d; i++) out[i] = (float) y[i];
        return out;
    }
}
