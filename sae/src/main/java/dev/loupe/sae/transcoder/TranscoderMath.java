package dev.loupe.sae.transcoder;

import dev.loupe.core.kernels.Sgemm;

/** The dense encoder kernel every transcoder shares. */
final class TranscoderMath {
    private TranscoderMath() {}

    /** x [rows, d] · W_enc^T ([width, d]) + b_enc → [rows, width]. */
    static float[] preActivations(float[] x, int rows, int d, float[] wEnc, float[] bEnc, int width) {
        if (x.length != (long) rows * d) throw new IllegalArgumentException("transcoder input: " + x.length + " values is not " + rows + " rows of d_model=" + d);
        float[] out = new float[rows * width];
        for (int r = 0; r < rows; r++) System.arraycopy(bEnc, 0, out, r * width, width);
        Sgemm.sgemm(false, true, rows, width, d, 1f, x, 0, d, wEnc, 0, d, 1f, out, 0, width);
        return out;
    }
}
