package dev.loupe.interp.steer;

/** The first principal component of a set of vectors, by power iteration on their centered covariance. */
final class Pca {
    private static final int MAX_ITERATIONS = 1000;
    private static final double TOLERANCE = 1e-10;

    private Pca() {}

    /**
     * The unit first principal component of {@code rows} (n vectors of one width, centered first), its sign
     * chosen to point along {@code align} (ties broken towards positive); needs at least two distinct rows.
     */
    static double[] firstComponent(float[][] rows, double[] align) {
        int n = rows.length, d = rows[0].length;
        double[] mean = new double[d];
        for (float[] r : rows) for (int i = 0; i < d; i++) mean[i] += r[i] / (double) n;
        double[][] c = new double[n][d];
        for (int k = 0; k < n; k++) for (int i = 0; i < d; i++) c[k][i] = rows[k][i] - mean[i];
        double[] v = new double[d];
        for (int i = 0; i < d; i++) v[i] = 1 + 0.01 * i; // a start with a component along every axis
        if (normalize(v) == 0) throw new IllegalStateException("empty start vector");
        for (int it = 0; it < MAX_ITERATIONS; it++) {
            double[] next = new double[d];
            for (double[] r : c) {
                double dot = 0;
                for (int i = 0; i < d; i++) dot += r[i] * v[i];
                for (int i = 0; i < d; i++) next[i] += dot * r[i];
            }
            if (normalize(next) == 0) throw new IllegalArgumentException("PCA: the differences do not vary (need at least two distinct pairs)");
            double change = 0;
            for (int i = 0; i < d; i++) change += (next[i] - v[i]) * (next[i] - v[i]);
            v = next;
            if (change < TOLERANCE) break;
        }
        double dot = 0;
        for (int i = 0; i < d; i++) dot += v[i] * align[i];
        if (dot < 0) for (int i = 0; i < d; i++) v[i] = -v[i];
        return v;
    }

    /** Scales {@code v} to unit length in place; returns its former length. */
    static double normalize(double[] v) {
        double s = 0;
        for (double x : v) s += x * x;
        double norm = Math.sqrt(s);
        if (norm > 0) for (int i = 0; i < v.length; i++) v[i] /= norm;
        return norm;
    }
}
