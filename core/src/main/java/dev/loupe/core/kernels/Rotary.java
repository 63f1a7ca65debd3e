package dev.loupe.core.kernels;

/**
 * Rotary position embeddings for one model (one table of a model with several): the inverse frequencies
 * (with any context-extension scaling already applied), the pairing layout, and the cos/sin table built once. Angles are computed in float32 as Hugging Face does,
 * so results match it to the last bits at any position.
 */
public final class Rotary {
    private final float[] invFreq;
    private final int rotaryDim;
    private final RopeLayout layout;

    /** @param invFreq rotaryDim/2 inverse frequencies, see {@link #defaultInvFreq} */
    public Rotary(float[] invFreq, int rotaryDim, RopeLayout layout) {
        if (rotaryDim % 2 != 0 || invFreq.length != rotaryDim / 2) {
            throw new IllegalArgumentException("rotary dim " + rotaryDim + " needs " + rotaryDim / 2 + " frequencies, got " + invFreq.length);
        }
        this.invFreq = invFreq.clone();
        this.rotaryDim = rotaryDim;
        this.layout = layout;
    }

    /** 1 / theta^(2i/rotaryDim), in float32 as PyTorch computes it. */
    public static float[] defaultInvFreq(int rotaryDim, double theta) {
        float[] f = new float[rotaryDim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (1.0 / Math.pow((float) theta, (float) (2 * i) / rotaryDim));
        }
        return f;
    }

    /** Llama 3 "rope_type: llama3" frequency scaling: long wavelengths slowed by {@code factor}, smoothly. */
    public static float[] llama3Scaled(float[] invFreq, double factor, double lowFreqFactor, double highFreqFactor, int originalContext) {
        float[] f = invFreq.clone();
        double lowWavelen = originalContext / lowFreqFactor;
        double highWavelen = originalContext / highFreqFactor;
        for (int i = 0; i < f.length; i++) {
            double wavelen = 2 * Math.PI / f[i];
            if (wavelen > lowWavelen) {
                f[i] = (float) (f[i] / factor);
            } else if (wavelen >= highWavelen) {
                double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                f[i] = (float) ((1 - smooth) * f[i] / factor + smooth * f[i]);
            }
        }
        return f;
    }

    public int rotaryDim() {
        return rotaryDim;
    }

    public RopeLayout layout() {
        return layout;
    }

    /**
     * Rotates x [batch, pos, heads, headDim] into out (may alias), position of (b, p) being
     * {@code start + p}. Dimensions at and beyond rotaryDim pass through.
     */
    public void apply(float[] x, float[] out, int batch, int pos, int heads, int headDim, int start) {
        rotate(x, out, batch, pos, heads, headDim, start, 1f);
    }

    /** The transpose rotation (angles negated): the backward of {@link #apply}. */
    public void applyInverse(float[] x, float[] out, int batch, int pos, int heads, int headDim, int start) {
        rotate(x, out, batch, pos, heads, headDim, start, -1f);
    }

    /**
     * cos and sin of every angle for positions [0, positions), row p at p * rotaryDim / 2: computed once per
     * table and extended (doubling) when a longer sequence comes, never per call.
     */
    private record Table(int positions, float[] cos, float[] sin) {}

    private volatile Table table = new Table(0, new float[0], new float[0]);

    private Table table(int positions) {
        Table t = table;
        if (t.positions() >= positions) return t;
        synchronized (this) {
            t = table;
            if (t.positions() >= positions) return t;
            int n = Math.max(positions, Math.max(64, 2 * t.positions()));
            int half = rotaryDim / 2;
            float[] cos = java.util.Arrays.copyOf(t.cos(), n * half), sin = java.util.Arrays.copyOf(t.sin(), n * half);
            for (int p = t.positions(); p < n; p++) {
                float position = p;
                for (int i = 0; i < half; i++) {
                    float angle = position * invFreq[i];
                    cos[p * half + i] = (float) Math.cos(angle);
                    sin[p * half + i] = (float) Math.sin(angle);
                }
            }
            table = t = new Table(n, cos, sin);
            return t;
        }
    }

    private void rotate(float[] x, float[] out, int batch, int pos, int heads, int headDim, int start, float direction) {
        int half = rotaryDim / 2;
        Table t = table(start + pos);
        for (int p = 0; p < pos; p++) {
            int row = (start + p) * half;
            for (int b = 0; b < batch; b++) {
                for (int h = 0; h < heads; h++) {
                    int o = ((b * pos + p) * heads + h) * headDim;
                    rotateHead(x, out, o, half, t.cos(), t.sin(), row, direction);
                    if (out != x) System.arraycopy(x, o + rotaryDim, out, o + rotaryDim, headDim - rotaryDim);
                }
            }
        }
    }

    private void rotateHead(float[] x, float[] out, int o, int half, float[] cos, float[] sinTable, int row, float direction) {
        if (layout == RopeLayout.ROTATE_HALF) {
            for (int i = 0; i < half; i++) {
                float c = cos[row + i], sn = direction * sinTable[row + i];
                float x1 = x[o + i], x2 = x[o + i + half];
                out[o + i] = x1 * c - x2 * sn;
                out[o + i + half] = x2 * c + x1 * sn;
            }
        } else {
            for (int i = 0; i < half; i++) {
                float c = cos[row + i], sn = direction * sinTable[row + i];
                float x1 = x[o + 2 * i], x2 = x[o + 2 * i + 1];
                out[o + 2 * i] = x1 * c - x2 * sn;
                out[o + 2 * i + 1] = x2 * c + x1 * sn;
            }
        }
    }
}
