package dev.loupe.circuits;

/**
 * One target's direct effects from every source, held compactly: a target at layer l (all layers for a logit) and
 * position p can only be reached by features of layers below l at positions up to p, so only those columns are
 * kept — layer s's features at positions ≤ p are the range {@code [from[s], to[s])} of the active features, stored
 * at {@code offset[s]} of {@code active} — plus the error and token columns in full ({@code rest}, errors layer-major
 * then tokens). About a quarter of a dense row for features at random layers and positions.
 */
final class SourceRow {
    final int[] from, to, offset; // per source layer below the target's
    final float[] active, rest;

    /** The row of a target at {@code depth} (nLayers for a logit) and {@code position}. */
    SourceRow(ActiveFeatures af, int depth, int position, int restLength) {
        from = new int[depth];
        to = new int[depth];
        offset = new int[depth];
        int n = 0;
        for (int s = 0; s < depth; s++) {
            from[s] = af.layerStart()[s];
            to[s] = af.firstAt(s, position + 1);
            offset[s] = n;
            n += to[s] - from[s];
        }
        active = new float[n];
        rest = new float[restLength];
    }

    int layers() {
        return from.length;
    }

    /** The entry of active feature i (of layer s); 0 where the target cannot be reached from it. */
    float feature(int i, int s) {
        return s < from.length && i < to[s] ? active[offset[s] + i - from[s]] : 0f;
    }

    /** Σ |entries|, the row's normaliser for influence. */
    double absSum() {
        double t = 0;
        for (float v : active) t += Math.abs(v);
        for (float v : rest) t += Math.abs(v);
        return t;
    }

    /** out[i] += weight · |entry of active feature i| for every kept feature column. */
    void addAbs(double weight, double[] out) {
        for (int s = 0; s < from.length; s++) {
            int o = offset[s] - from[s];
            for (int i = from[s]; i < to[s]; i++) {
                float v = active[o + i];
                if (v != 0) out[i] += weight * Math.abs(v);
            }
        }
    }

    /** The dense row [active features, errors, tokens]. */
    float[] dense(int nActive) {
        float[] out = new float[nActive + rest.length];
        for (int s = 0; s < from.length; s++) System.arraycopy(active, offset[s], out, from[s], to[s] - from[s]);
        System.arraycopy(rest, 0, out, nActive, rest.length);
        return out;
    }

    /** Bytes held. */
    long bytes() {
        return 4L * (active.length + rest.length) + 12L * from.length + 64;
    }
}
