package dev.loupe.sae.transcoder;

import dev.loupe.sae.SaeArchitecture;
import dev.loupe.sae.SaeArchitectures;
import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.Sgemm;
import dev.loupe.sae.SparseCodes;
import dev.loupe.sae.Vec;

/**
 * A per-layer transcoder (PLT): reads the MLP input x of one layer and predicts its output,
 * {@code f = act(x W_enc^T + b_enc)}, {@code ŷ = f W_dec + b_dec (+ x W_skip^T)}. Weights are kept in
 * circuit-tracer's file orientation: {@code W_enc} and {@code W_dec} both [d_tc, d_model], one contiguous
 * row per feature (the encoder row a feature reads with, the decoder row it writes); {@code W_skip}
 * [d_model, d_model] as a linear layer's [out, in] (the skip transcoders of Paulo et al. 2025).
 *
 * @param threshold [d_tc] for JumpReLU, else null
 * @param k features per row for TopK, else 0
 * @param wSkip [d_model, d_model] or null
 */
public record Transcoder(int layer, int dModel, int width, SaeArchitecture activation, float[] wEnc, float[] bEnc,
                         float[] wDec, float[] bDec, float[] threshold, int k, float[] wSkip) {

    public Transcoder {
        String what = "transcoder for layer " + layer;
        check(what, "W_enc", wEnc, (long) width * dModel);
        check(what, "b_enc", bEnc, width);
        check(what, "W_dec", wDec, (long) width * dModel);
        check(what, "b_dec", bDec, dModel);
        requireInference(what, activation);
        if (activation.hasThreshold() != (threshold != null)) {
            throw new IllegalArgumentException(what + ": " + SaeArchitectures.activationName(activation) + (threshold == null ? " needs" : " takes no")
                    + " activation_function.threshold");
        }
        if (threshold != null) check(what, "activation_function.threshold", threshold, width);
        if (activation.usesK() != (k > 0)) throw new IllegalArgumentException(what + ": k > 0 exactly for topk, got k=" + k);
        if (wSkip != null) check(what, "W_skip", wSkip, (long) dModel * dModel);
    }

    /** Transcoders hold an architecture's inference form (BatchTopK is read as the JumpReLU it becomes). */
    static void requireInference(String what, SaeArchitecture a) {
        if (!a.name().equals(a.inferenceName())) throw new IllegalArgumentException(what + ": " + a.name() + " is a training form; use " + a.inferenceName());
    }

    static void check(String what, String name, float[] a, long expected) {
        if (a == null || a.length != expected) {
            throw new IllegalArgumentException(what + ": " + name + " should hold " + expected + " values but has "
                    + (a == null ? "none" : a.length));
        }
    }

    /** Pre-activations [rows, width] of inputs x [rows, d_model]. */
    public float[] preActivations(float[] x, int rows) {
        return TranscoderMath.preActivations(x, rows, dModel, wEnc, bEnc, width);
    }

    /** Features of inputs x [rows, d_model]. */
    public SparseCodes encode(float[] x, int rows) {
        return SaeArchitectures.activate(activation, preActivations(x, rows), rows, width, threshold, k);
    }

    /** Reconstruction [rows, d_model]: b_dec + Σ f W_dec rows, plus the skip path of {@code x} when there is one. */
    public float[] decode(SparseCodes f, float[] x) {
        float[] out = new float[f.rows() * dModel];
        for (int r = 0; r < f.rows(); r++) {
            System.arraycopy(bDec, 0, out, r * dModel, dModel);
            for (int c = f.rowStart()[r]; c < f.rowStart()[r + 1]; c++) {
                Vec.axpy(f.value()[c], wDec, f.index()[c] * dModel, out, r * dModel, dModel);
            }
        }
        if (wSkip != null) Sgemm.sgemm(false, true, f.rows(), dModel, dModel, 1f, x, 0, dModel, wSkip, 0, dModel, 1f, out, 0, dModel);
        return out;
    }

    /** W_enc [d_tc, d_model] (a view: shares the array). */
    public Tensor encoder() {
        return Tensor.of(wEnc, width, dModel);
    }

    /** W_dec [d_tc, d_model] (a view). */
    public Tensor decoder() {
        return Tensor.of(wDec, width, dModel);
    }

    /** W_skip [d_model, d_model] in linear [out, in] orientation (a view), or null. */
    public Tensor skip() {
        return wSkip == null ? null : Tensor.of(wSkip, dModel, dModel);
    }
}
