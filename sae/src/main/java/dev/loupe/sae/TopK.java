package dev.loupe.sae;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Per-row top-k selection with a bounded min-heap. The row is scanned a vector at a time against the
 * heap's minimum, so once the heap is full nearly every vector is skipped with one compare: selecting
 * 32 of 24576 costs about one pass over the row.
 */
final class TopK {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private final int k;
    private final int[] idx;
    private final float[] val;

    TopK(int k) {
        this.k = k;
        this.idx = new int[k];
        this.val = new float[k];
    }

    /**
     * Writes the row's largest positive entries (at most k, latent order) to outIdx/outVal from {@code outOff};
     * returns how many. Ties keep the earlier latent.
     */
    int select(float[] x, int off, int n, boolean[] allowed, int[] outIdx, float[] outVal, int outOff) {
        int size = 0;
        float min = 0f; // candidates must beat this: 0 until the heap is full (ReLU after top-k)
        int j = 0;
        if (allowed == null) {
            for (int bound = S.loopBound(n); j < bound; j += S.length()) {
                FloatVector v = FloatVector.fromArray(S, x, off + j);
                if (!v.compare(VectorOperators.GT, min).anyTrue()) continue;
                for (int t = j; t < j + S.length(); t++) {
                    if (x[off + t] > min) {
                        size = push(t, x[off + t], size);
                        if (size == k) min = val[0];
                    }
                }
            }
        }
        for (; j < n; j++) {
            float v = x[off + j];
            if (v > min && (allowed == null || allowed[j])) {
                size = push(j, v, size);
                if (size == k) min = val[0];
            }
        }
        // latent order
        for (int a = 0; a < size; a++) {
            outIdx[outOff + a] = idx[a];
            outVal[outOff + a] = val[a];
        }
        for (int a = 1; a < size; a++) {
            int i = outIdx[outOff + a];
            float v = outVal[outOff + a];
            int b = a - 1;
            while (b >= 0 && outIdx[outOff + b] > i) {
                outIdx[outOff + b + 1] = outIdx[outOff + b];
                outVal[outOff + b + 1] = outVal[outOff + b];
                b--;
            }
            outIdx[outOff + b + 1] = i;
            outVal[outOff + b + 1] = v;
        }
        return size;
    }

    /** Inserts into the min-heap (replacing the minimum when full); returns the new size. */
    private int push(int i, float v, int size) {
        if (size < k) {
            int c = size++;
            while (c > 0) {
                int p = (c - 1) >> 1;
                if (val[p] <= v) break;
                val[c] = val[p];
                idx[c] = idx[p];
                c = p;
            }
            val[c] = v;
            idx[c] = i;
            return size;
        }
        int c = 0;
        while (true) {
            int l = 2 * c + 1;
            if (l >= k) break;
            int m = l + 1 < k && val[l + 1] < val[l] ? l + 1 : l;
            if (val[m] >= v) break;
            val[c] = val[m];
            idx[c] = idx[m];
            c = m;
        }
        val[c] = v;
        idx[c] = i;
        return size;
    }
}
