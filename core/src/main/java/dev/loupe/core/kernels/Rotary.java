package dev.loupe.core.kernels;

/**
 * Rotary position embeddings for one model: the inverse frequencies (with any context-extension
 * scaling already applied) and the pairing layout. Angles are computed in float32 as Hugging Face does,
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

    private void rotate(float[] x, float[] out, int batch, int pos, int heads, int headDim, int start, float direction) {
        int half = rotaryDim / 2;
        float[] cos = new float[half];
        float[] sin = new float[half];
        for (int p = 0; p < pos; p++) {
            float position = start + p;
            for (int i = 0; i < half; i++) {
                float angle = position * invFreq[i];
                cos[i] = (float) Math.cos(angle);
                sin[i] = direction * (float) Math.sin(angle);
            }
            for (int b = 0; b < batch; b++) {
                for (int h = 0; h < heads; h++) {
                    int o = ((b * pos + p) * heads + h) * headDim;
                    rotateHead(x, out, o, half, cos, sin);
                    if (out != x) System.arraycopy(x, o + rotaryDim, out, o + rotaryDim, headDim - rotaryDim);
                }
            }
        }
    }

    private void rotateHead(float[] x, float[] out, int o, int half, float[] cos, float[] sin) {
        if (layout == RopeLayout.ROTATE_HALF) {
            for (int i = 0; i < half; i++) {
                float x1 = x[o + i], x2 = x[o + i + half];
                out[o + i] = x1 * cos[i] - x2 * sin[i];
                out[o + i + half] = x2 * cos[i] + x1 * sin[i];
            }
        } else {
            for (int i = 0; i < half; i++) {
                float x1 = x[o + 2 * i], x2 = x[o + 2 * i + 1];
                out[o + 2 * i] = x1 * cos[i] - x2 * sin[i];
                out[o + 2 * i + 1] = x2 * cos[i] + x1 * sin[i];
            }
        }
    }
}
