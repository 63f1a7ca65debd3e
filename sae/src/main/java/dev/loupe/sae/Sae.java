package dev.loupe.sae;

import dev.loupe.core.Parallel;
import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.Sgemm;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A sparse autoencoder: {@code f = act(W_enc^T (x - b_dec) + b_enc)}, {@code x̂ = f W_dec + b_dec}.
 *
 * <p>SAELens stores W_enc as [d_in, d_sae]; Loupe keeps it transposed in memory ({@code wEncT},
 * [d_sae, d_in], one contiguous row per latent, like W_dec) so the sparse backward pass can update
 * the encoder row of each active latent with one contiguous axpy. {@link #wEnc()} gives the SAELens
 * orientation; the on-disk format is SAELens's.
 */
public final class Sae {
    private final SaeConfig cfg;
    private final SaeArchitecture arch;
    final float[] wEncT; // [d_sae, d_in]
    final float[] bEnc; // [d_sae]
    final float[] wDec; // [d_sae, d_in]
    final float[] bDec; // [d_in]
    final float[] threshold; // [d_sae]: JumpReLU thresholds (BatchTopK's inference threshold); null otherwise

    Sae(SaeConfig cfg, float[] wEncT, float[] bEnc, float[] wDec, float[] bDec, float[] threshold) {
        this.cfg = cfg;
        this.arch = SaeArchitectures.get(cfg.architecture());
        int d = cfg.dIn(), n = cfg.dSae();
        check("W_enc", wEncT, (long) n * d);
        check("b_enc", bEnc, n);
        check("W_dec", wDec, (long) n * d);
        check("b_dec", bDec, d);
        if (arch.hasThreshold() != (threshold != null)) {
            throw new IllegalArgumentException("SAE: architecture " + cfg.architecture() + (arch.hasThreshold() ? " needs" : " takes no") + " threshold");
        }
        if (threshold != null) check("threshold", threshold, n);
        this.wEncT = wEncT;
        this.bEnc = bEnc;
        this.wDec = wDec;
        this.bDec = bDec;
        this.threshold = threshold;
    }

    private void check(String name, float[] a, long expected) {
        if (a.length != expected) {
            throw new IllegalArgumentException("SAE " + name + ": expected " + expected + " values for d_in=" + cfg.dIn() + ", d_sae=" + cfg.dSae() + " but got " + a.length);
        }
    }

    /**
     * A fresh SAE: decoder rows random directions of norm {@code decoderNorm}, encoder its transpose
     * (W_enc = W_dec^T, as Anthropic and Gao et al. initialise), biases zero, thresholds {@code initialThreshold}.
     */
    public static Sae initialize(SaeConfig cfg, Rng rng, float decoderNorm, float initialThreshold) {
        int d = cfg.dIn(), n = cfg.dSae();
        float[] wDec = new float[n * d];
        for (int i = 0; i < wDec.length; i++) wDec[i] = (float) rng.nextGaussian();
        for (int j = 0; j < n; j++) {
            double norm = Math.sqrt(Vec.sumSquares(wDec, j * d, d));
            for (int i = 0; i < d; i++) wDec[j * d + i] = (float) (wDec[j * d + i] / norm * decoderNorm);
        }
        float[] threshold = null;
        if (SaeArchitectures.get(cfg.architecture()).hasThreshold()) {
            threshold = new float[n];
            Arrays.fill(threshold, initialThreshold);
        }
        return new Sae(cfg, wDec.clone(), new float[n], wDec, new float[d], threshold);
    }

    /** An SAE from tensors in SAELens orientation (W_enc [d_in, d_sae], W_dec [d_sae, d_in]); threshold may be null. */
    public static Sae of(SaeConfig cfg, Tensor wEnc, Tensor bEnc, Tensor wDec, Tensor bDec, Tensor threshold) {
        wEnc.requireShape("W_enc", cfg.dIn(), cfg.dSae());
        bEnc.requireShape("b_enc", cfg.dSae());
        wDec.requireShape("W_dec", cfg.dSae(), cfg.dIn());
        bDec.requireShape("b_dec", cfg.dIn());
        if (threshold != null) threshold.requireShape("threshold", cfg.dSae());
        return new Sae(cfg, dev.loupe.core.Ops.transpose(wEnc).data(), bEnc.data().clone(), wDec.data().clone(),
                bDec.data().clone(), threshold == null ? null : threshold.data().clone());
    }

    public SaeConfig config() {
        return cfg;
    }

    public SaeArchitecture architecture() {
        return arch;
    }

    public int dIn() {
        return cfg.dIn();
    }

    public int dSae() {
        return cfg.dSae();
    }

    /** W_enc [d_in, d_sae] (SAELens orientation; a copy). */
    public Tensor wEnc() {
        return dev.loupe.core.Ops.transpose(Tensor.of(wEncT.clone(), dSae(), dIn()));
    }

    public Tensor bEnc() {
        return Tensor.of(bEnc.clone(), dSae());
    }

    /** W_dec [d_sae, d_in]: row j is latent j's direction in activation space (a copy). */
    public Tensor wDec() {
        return Tensor.of(wDec.clone(), dSae(), dIn());
    }

    public Tensor bDec() {
        return Tensor.of(bDec.clone(), dIn());
    }

    /** Per-latent thresholds [d_sae], or null for architectures without one. */
    public Tensor threshold() {
        return threshold == null ? null : Tensor.of(threshold.clone(), dSae());
    }

    /** The parameters by name, live (not copies), in a fixed order; W_enc is the transposed [d_sae, d_in] layout. */
    Map<String, float[]> parameters() {
        Map<String, float[]> p = new LinkedHashMap<>();
        p.put("W_enc_T", wEncT);
        p.put("b_enc", bEnc);
        p.put("W_dec", wDec);
        p.put("b_dec", bDec);
        if (threshold != null) p.put("threshold", threshold);
        return p;
    }

    /** Input minus b_dec (when apply_b_dec_to_input), rows of width d_in. */
    float[] centered(float[] x, int rows) {
        float[] xc = x.clone();
        if (cfg.applyBDecToInput()) {
            int d = dIn();
            for (int r = 0; r < rows; r++) for (int i = 0; i < d; i++) xc[r * d + i] -= bDec[i];
        }
        return xc;
    }

    /** Pre-activations [rows, d_sae] of centered input: one dense GEMM, the only dense product of a step. */
    float[] preActivations(float[] xc, int rows, float[] out) {
        int n = dSae(), d = dIn();
        for (int r = 0; r < rows; r++) System.arraycopy(bEnc, 0, out, r * n, n);
        Sgemm.sgemm(false, true, rows, n, d, 1f, xc, 0, d, wEncT, 0, d, 1f, out, 0, n);
        return out;
    }

    /** The active latents of x [rows, d_in] (inference: BatchTopK uses its threshold). */
    public SparseCodes encodeSparse(float[] x, int rows) {
        requireWidth(x.length, rows);
        float[] pre = preActivations(centered(x, rows), rows, new float[rows * dSae()]);
        return arch.activate(latents(), pre, rows);
    }

    /** The latent layer as architectures see it (live arrays). */
    Latents latents() {
        return new Latents(dSae(), cfg.k(), threshold, wDec, dIn());
    }

    /** x̂ = f W_dec + b_dec for sparse f: touches only the active decoder rows. */
    public float[] decode(SparseCodes f) {
        return decodeInto(f, bDec, new float[f.rows() * dIn()]);
    }

    /** out[r] = bias + Σ f_rj W_dec[j] (bias may be null), rows in parallel. */
    float[] decodeInto(SparseCodes f, float[] bias, float[] out) {
        int d = dIn();
        int[] rs = f.rowStart(), idx = f.index();
        float[] val = f.value();
        Parallel.forRange(f.rows(), 16, (a, b) -> {
            for (int r = a; r < b; r++) {
                if (bias != null) System.arraycopy(bias, 0, out, r * d, d);
                else Arrays.fill(out, r * d, (r + 1) * d, 0f);
                for (int c = rs[r]; c < rs[r + 1]; c++) Vec.axpy(val[c], wDec, idx[c] * d, out, r * d, d);
            }
        });
        return out;
    }

    /** Feature activations [..., d_sae] of x [..., d_in]. */
    public Tensor encode(Tensor x) {
        int rows = rowsOf(x);
        int[] shape = x.shape();
        shape[shape.length - 1] = dSae();
        return Tensor.of(encodeSparse(x.data(), rows).dense(), shape);
    }

    /** Reconstruction [..., d_in] of feature activations f [..., d_sae]. */
    public Tensor decode(Tensor f) {
        if (f.size(-1) != dSae()) {
            throw new IllegalArgumentException("SAE decode: expected feature width d_sae=" + dSae() + " but got " + f.size(-1));
        }
        int rows = f.numel() / dSae();
        int[] shape = f.shape();
        shape[shape.length - 1] = dIn();
        return Tensor.of(decode(SparseCodes.fromDense(f.data(), rows, dSae())), shape);
    }

    /** encode then decode: x̂ [..., d_in]. */
    public Tensor reconstruct(Tensor x) {
        return Tensor.of(decode(encodeSparse(x.data(), rowsOf(x))), x.shape());
    }

    private int rowsOf(Tensor x) {
        if (x.size(-1) != dIn()) {
            throw new IllegalArgumentException("SAE for " + cfg.hookName() + " expects width d_in=" + dIn() + " but the input has width "
                    + x.size(-1) + " (shape " + Arrays.toString(x.shape()) + ")");
        }
        return x.numel() / dIn();
    }

    private void requireWidth(int length, int rows) {
        if (length != rows * dIn()) throw new IllegalArgumentException("SAE input: " + length + " values is not " + rows + " rows of d_in=" + dIn());
    }

    /**
     * Folds an input scale s into the weights (the SAE was trained on s·x): afterwards it reads raw x and
     * returns raw reconstructions with identical feature activations.
     */
    void foldInputScale(float s) {
        for (int i = 0; i < wEncT.length; i++) wEncT[i] *= s;
        for (int i = 0; i < wDec.length; i++) wDec[i] /= s;
        for (int i = 0; i < bDec.length; i++) bDec[i] /= s;
    }

    /** A deep copy with another config (same weights). */
    Sae withConfig(SaeConfig c) {
        return new Sae(c, wEncT.clone(), bEnc.clone(), wDec.clone(), bDec.clone(), threshold == null ? null : threshold.clone());
    }
}
