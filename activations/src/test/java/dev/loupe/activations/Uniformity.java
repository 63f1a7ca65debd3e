package dev.loupe.activations;

import java.util.Arrays;

/**
 * Statistical checks that a permutation of N rows looks uniform. Both fail for shuffles that only move rows
 * locally (within a shard or a window).
 */
final class Uniformity {
    private Uniformity() {}

    /**
     * Chi-square statistic of the contingency table (source shard × output shard) against independence,
     * converted to a z-score with the Wilson–Hilferty approximation (z > 4 ⇒ p < 3e-5).
     *
     * @param perm perm[i] = output position of source row i
     */
    static double shardMixingZ(long[] perm, int sourceShardRows, int outShardRows) {
        int n = perm.length;
        int s = (n + sourceShardRows - 1) / sourceShardRows, o = (n + outShardRows - 1) / outShardRows;
        long[][] table = new long[s][o];
        for (int i = 0; i < n; i++) table[i / sourceShardRows][(int) (perm[i] / outShardRows)]++;
        long[] rowSum = new long[s], colSum = new long[o];
        for (int a = 0; a < s; a++) for (int b = 0; b < o; b++) {
            rowSum[a] += table[a][b];
            colSum[b] += table[a][b];
        }
        double chi2 = 0;
        for (int a = 0; a < s; a++) for (int b = 0; b < o; b++) {
            double e = (double) rowSum[a] * colSum[b] / n;
            chi2 += (table[a][b] - e) * (table[a][b] - e) / e;
        }
        double k = (double) (s - 1) * (o - 1);
        return (Math.cbrt(chi2 / k) - (1 - 2 / (9 * k))) / Math.sqrt(2 / (9 * k));
    }

    /**
     * Kolmogorov–Smirnov distance between the distribution of |new − old| / N and the one a uniform
     * permutation gives (density 2(1 − x)), times √N: above 1.95 ⇒ p < 0.001.
     */
    static double displacementKs(long[] perm) {
        int n = perm.length;
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = Math.abs(perm[i] - i) / (double) n;
        Arrays.sort(x);
        double d = 0;
        for (int i = 0; i < n; i++) {
            double cdf = 1 - (1 - x[i]) * (1 - x[i]);
            d = Math.max(d, Math.max(Math.abs(cdf - (double) i / n), Math.abs(cdf - (double) (i + 1) / n)));
        }
        return d * Math.sqrt(n);
    }

    /** perm from a shuffled store's row ids: ids[j] is the source row now at position j. */
    static long[] permutation(long[] ids) {
        long[] perm = new long[ids.length];
        for (int j = 0; j < ids.length; j++) perm[(int) ids[j]] = j;
        return perm;
    }
}
