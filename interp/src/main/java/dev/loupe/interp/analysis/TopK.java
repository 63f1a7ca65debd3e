package dev.loupe.interp.analysis;

/** Ranking helpers over score arrays. */
final class TopK {
    private TopK() {}

    /** Indices of the {@code k} largest values, largest first (ties: lower index first); one pass, k small. */
    static int[] indices(float[] x, int k) {
        int[] top = new int[Math.min(k, x.length)];
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            if (n == top.length && x[i] <= x[top[n - 1]]) continue;
            int j = n < top.length ? n++ : n - 1;
            while (j > 0 && x[top[j - 1]] < x[i]) {
                top[j] = top[j - 1];
                j--;
            }
            top[j] = i;
        }
        return top;
    }

    /** How many values are larger than x[i]: 0 for the largest. */
    static int rank(float[] x, int i) {
        int r = 0;
        for (float v : x) if (v > x[i]) r++;
        return r;
    }
}
