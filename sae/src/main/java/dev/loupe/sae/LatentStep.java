package dev.loupe.sae;

/**
 * What an architecture's training loss sees of one step on one dictionary: the latents, the batch's
 * pre-activations and active codes, the gradient of the loss with respect to the dictionary's output rows
 * ({@code dOut}, row r's values at {@code outOffset + r·outStride}, {@link Latents#width()} of them), and
 * where its own gradients go. {@link SaeArchitecture#extraLoss} adds ∂/∂f of the active codes into
 * {@code dCodes} and parameter gradients into {@code gradWDec} / {@code gradThreshold} (both null when only
 * the loss is wanted). Shared by SAE and transcoder training, so each architecture's penalty is written once.
 */
public final class LatentStep {
    public final Latents latents;
    public final int rows;
    public final float coefficient;
    public final float bandwidth;
    public final float[] pre;
    public final SparseCodes codes;
    public final float[] dCodes;
    public final float[] dOut;
    public final int outOffset;
    public final int outStride;
    public final float[] gradWDec;
    public final float[] gradThreshold;

    LatentStep(Latents latents, int rows, float coefficient, float bandwidth, float[] pre, SparseCodes codes, float[] dCodes, float[] dOut,
               int outOffset, int outStride, float[] gradWDec, float[] gradThreshold) {
        this.latents = latents;
        this.rows = rows;
        this.coefficient = coefficient;
        this.bandwidth = bandwidth;
        this.pre = pre;
        this.codes = codes;
        this.dCodes = dCodes;
        this.dOut = dOut;
        this.outOffset = outOffset;
        this.outStride = outStride;
        this.gradWDec = gradWDec;
        this.gradThreshold = gradThreshold;
    }

    public boolean wantsGradients() {
        return gradWDec != null;
    }

    /** dOut of row r · decoder row j: the gradient reaching code (r, j) from the output. */
    public float upstream(int r, int j) {
        int w = latents.width();
        return Vec.dot(dOut, outOffset + r * outStride, latents.wDec(), j * w, w);
    }
}
