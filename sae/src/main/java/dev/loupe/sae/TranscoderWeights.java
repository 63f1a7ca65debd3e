package dev.loupe.sae;

import dev.loupe.core.Parallel;
import dev.loupe.core.kernels.Sgemm;
import dev.loupe.sae.transcoder.CrossLayerTranscoder;
import dev.loupe.sae.transcoder.Transcoder;
import dev.loupe.sae.transcoder.TranscoderSet;
import dev.loupe.sae.transcoder.Transcoders;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A transcoder set's parameters in the layout its training kernels use. Source layer i (of {@link TranscoderSpec#layers()})
 * has {@code W_enc_T.i} [d_tc, d_model] (one contiguous row per feature), {@code b_enc.i} [d_tc], {@code W_dec.i}
 * [d_tc, targets(i)·d_model] (feature j's output vectors for layers i, i+1, … concatenated in one row),
 * {@code threshold.i} [d_tc] (JumpReLU) and {@code W_skip.i} [d_model out, d_model in] (skip transcoders); {@code b_dec}
 * [layers·d_model] is one bias per output layer. Inference reads rows of all layers' MLP inputs laid side by side
 * ([rows, layers·d_model]) and gives the MLP outputs in the same layout:
 * {@code out_t = b_dec_t + Σ_{i ≤ t} f_i W_dec[i→t] (+ x_t W_skip_tᵀ)}, {@code f_i = act(x_i W_enc_iᵀ + b_enc_i)}.
 */
public final class TranscoderWeights {
    final TranscoderSpec spec;
    final float[][] wEncT, bEnc, wDec, threshold, wSkip;
    final float[] bDec;

    private TranscoderWeights(TranscoderSpec spec) {
        this.spec = spec;
        int nl = spec.nLayers(), d = spec.dModel(), n = spec.dTranscoder();
        wEncT = new float[nl][];
        bEnc = new float[nl][];
        wDec = new float[nl][];
        threshold = new float[nl][];
        wSkip = new float[nl][];
        for (int i = 0; i < nl; i++) {
            wEncT[i] = new float[n * d];
            bEnc[i] = new float[n];
            wDec[i] = new float[n * width(i)];
            if (spec.architecture().hasThreshold()) threshold[i] = new float[n];
            if (spec.skip()) wSkip[i] = new float[d * d];
        }
        bDec = new float[nl * d];
    }

    /** All zeros (for a checkpoint to load into, or as a gradient buffer). */
    public static TranscoderWeights zeros(TranscoderSpec spec) {
        return new TranscoderWeights(spec);
    }

    /**
     * Fresh weights: decoder rows random directions of norm {@code decoderNorm} over all their target layers,
     * encoder rows random unit directions, biases and W_skip zero, thresholds {@code initialThreshold}.
     */
    public static TranscoderWeights initialize(TranscoderSpec spec, Rng rng, float decoderNorm, float initialThreshold) {
        TranscoderWeights w = new TranscoderWeights(spec);
        for (int i = 0; i < spec.nLayers(); i++) {
            randomRows(w.wDec[i], w.width(i), decoderNorm, rng);
            randomRows(w.wEncT[i], spec.dModel(), 1f, rng);
            if (w.threshold[i] != null) Arrays.fill(w.threshold[i], initialThreshold);
        }
        return w;
    }

    private static void randomRows(float[] a, int width, float norm, Rng rng) {
        for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextGaussian();
        for (int r = 0; r < a.length / width; r++) {
            double s = Math.sqrt(Vec.sumSquares(a, r * width, width));
            for (int c = 0; c < width; c++) a[r * width + c] = (float) (a[r * width + c] / s * norm);
        }
    }

    public TranscoderSpec spec() {
        return spec;
    }

    /** Decoder row width of source layer i: targets(i)·d_model. */
    public int width(int i) {
        return spec.targets(i) * spec.dModel();
    }

    /** Source layer i's latents as architectures see them (live). */
    Latents latents(int i) {
        return new Latents(spec.dTranscoder(), spec.k(), threshold[i], wDec[i], width(i));
    }

    /** Every parameter by name, live, in a fixed order. */
    public Map<String, float[]> parameters() {
        Map<String, float[]> p = new LinkedHashMap<>();
        for (int i = 0; i < spec.nLayers(); i++) {
            p.put("W_enc_T." + i, wEncT[i]);
            p.put("b_enc." + i, bEnc[i]);
            p.put("W_dec." + i, wDec[i]);
            if (threshold[i] != null) p.put("threshold." + i, threshold[i]);
            if (wSkip[i] != null) p.put("W_skip." + i, wSkip[i]);
        }
        p.put("b_dec", bDec);
        return p;
    }

    /** Pre-activations [rows, d_tc] of source layer i from rows of all inputs x [rows, layers·d_model]. */
    float[] preActivations(int i, float[] x, int rows, float[] out) {
        int n = spec.dTranscoder(), d = spec.dModel(), stride = spec.nLayers() * d;
        for (int r = 0; r < rows; r++) System.arraycopy(bEnc[i], 0, out, r * n, n);
        Sgemm.sgemm(false, true, rows, n, d, 1f, x, i * d, stride, wEncT[i], 0, d, 1f, out, 0, n);
        return out;
    }

    /** Adds source layer i's decoded features (and its skip path) into out [rows, layers·d_model]. */
    void decodeInto(int i, SparseCodes f, float[] x, float[] out) {
        int d = spec.dModel(), stride = spec.nLayers() * d, w = width(i);
        int[] rs = f.rowStart(), idx = f.index();
        float[] val = f.value(), dec = wDec[i];
        Parallel.forRange(f.rows(), 16, (a, b) -> {
            for (int r = a; r < b; r++) for (int c = rs[r]; c < rs[r + 1]; c++) Vec.axpy(val[c], dec, idx[c] * w, out, r * stride + i * d, w);
        });
        if (wSkip[i] != null) Sgemm.sgemm(false, true, f.rows(), d, d, 1f, x, i * d, stride, wSkip[i], 0, d, 1f, out, i * d, stride);
    }

    /** out = b_dec in every row. */
    float[] biasRows(int rows) {
        float[] out = new float[rows * bDec.length];
        for (int r = 0; r < rows; r++) System.arraycopy(bDec, 0, out, r * bDec.length, bDec.length);
        return out;
    }

    /** Inference: the active features of every source layer for inputs x [rows, layers·d_model]. */
    public SparseCodes[] encode(float[] x, int rows) {
        SparseCodes[] codes = new SparseCodes[spec.nLayers()];
        float[] pre = new float[rows * spec.dTranscoder()];
        for (int i = 0; i < codes.length; i++) codes[i] = spec.architecture().activate(latents(i), preActivations(i, x, rows, pre), rows);
        return codes;
    }

    /** Inference: the predicted MLP outputs [rows, layers·d_model] for inputs x [rows, layers·d_model]. */
    public float[] reconstruct(float[] x, int rows) {
        SparseCodes[] codes = encode(x, rows);
        float[] out = biasRows(rows);
        for (int i = 0; i < codes.length; i++) decodeInto(i, codes[i], x, out);
        return out;
    }

    /**
     * The trained set as Loupe's inference type, in circuit-tracer's layout (copies): a {@link TranscoderSet} of
     * per-layer (skip) transcoders or a {@link CrossLayerTranscoder}. circuit-tracer's layouts cover every layer from
     * 0, so the set must replace layers 0..n-1.
     */
    public Transcoders toTranscoders() {
        int nl = spec.nLayers(), d = spec.dModel(), n = spec.dTranscoder();
        for (int i = 0; i < nl; i++) {
            if (spec.layers()[i] != i) {
                throw new IllegalArgumentException("circuit-tracer's layout needs transcoders for every layer 0.." + (nl - 1) + "; this set replaces layers "
                        + Arrays.toString(spec.layers()));
            }
        }
        SaeArchitecture act = activationFunction();
        int k = act.usesK() ? spec.k() : 0;
        float[][] bDecs = new float[nl][];
        for (int t = 0; t < nl; t++) bDecs[t] = Arrays.copyOfRange(bDec, t * d, (t + 1) * d);
        if (spec.kind().equals(TranscoderSpec.CLT)) {
            return new CrossLayerTranscoder(nl, d, n, act, deep(wEncT), deep(bEnc), deep(wDec), bDecs, threshold[0] == null ? null : deep(threshold), k, null,
                    spec.hooks(), null);
        }
        List<Transcoder> layers = new ArrayList<>();
        for (int i = 0; i < nl; i++) layers.add(layer(i));
        return new TranscoderSet(layers, spec.hooks(), null);
    }

    /** Per-layer (skip) transcoder i as Loupe's inference type, for its model layer (a copy). */
    public Transcoder layer(int i) {
        if (spec.kind().equals(TranscoderSpec.CLT)) throw new IllegalArgumentException("a cross-layer transcoder's layers are not separate transcoders");
        int d = spec.dModel();
        return new Transcoder(spec.layers()[i], d, spec.dTranscoder(), activationFunction(), wEncT[i].clone(), bEnc[i].clone(), wDec[i].clone(),
                Arrays.copyOfRange(bDec, i * d, (i + 1) * d), threshold[i] == null ? null : threshold[i].clone(),
                activationFunction().usesK() ? spec.k() : 0, wSkip[i] == null ? null : wSkip[i].clone());
    }

    private SaeArchitecture activationFunction() {
        return SaeArchitectures.forActivation(spec.activation());
    }

    /** A loaded set (e.g. read from circuit-tracer's layout) as training weights, to evaluate or fine-tune (copies). */
    public static TranscoderWeights of(Transcoders t, String modelName) {
        int nl = t.nLayers(), d = t.dModel(), n = t.width(0);
        for (int l = 1; l < nl; l++) if (t.width(l) != n) throw new IllegalArgumentException("transcoder layers differ in width: " + n + " at layer 0, " + t.width(l) + " at layer " + l);
        String kind = t instanceof CrossLayerTranscoder ? TranscoderSpec.CLT : t.skip(0) != null ? TranscoderSpec.SKIP : TranscoderSpec.PLT;
        if (kind.equals(TranscoderSpec.CLT) && t.skip(0) != null) throw new IllegalArgumentException("cross-layer transcoders with W_skip are read for attribution but not trained or evaluated here");
        String act = t.activation().name();
        int[] layers = new int[nl];
        Arrays.setAll(layers, i -> i);
        int k = switch (t) {
            case TranscoderSet s -> s.layer(0).k();
            case CrossLayerTranscoder c -> c.k();
        };
        TranscoderWeights w = new TranscoderWeights(new TranscoderSpec(kind, act, layers, d, n, k, t.hooks(), modelName));
        for (int i = 0; i < nl; i++) {
            System.arraycopy(t.encoder(i).data(), 0, w.wEncT[i], 0, n * d);
            System.arraycopy(switch (t) {
                case TranscoderSet s -> s.layer(i).bEnc();
                case CrossLayerTranscoder c -> c.bEnc()[i];
            }, 0, w.bEnc[i], 0, n);
            int width = w.width(i);
            for (int j = 0; j < n; j++) for (int u = 0; u < width / d; u++) t.addDecoder(i, j, i + u, 1f, w.wDec[i], j * width + u * d);
            System.arraycopy(t.decoderBias(i), 0, w.bDec, i * d, d);
            if (w.threshold[i] != null) {
                System.arraycopy(switch (t) {
                    case TranscoderSet s -> s.layer(i).threshold();
                    case CrossLayerTranscoder c -> c.threshold()[i];
                }, 0, w.threshold[i], 0, n);
            }
            if (w.wSkip[i] != null) System.arraycopy(t.skip(i).data(), 0, w.wSkip[i], 0, d * d);
        }
        return w;
    }

    private static float[][] deep(float[][] a) {
        float[][] c = new float[a.length][];
        for (int i = 0; i < a.length; i++) c[i] = a[i].clone();
        return c;
    }

    /** A deep copy. */
    public TranscoderWeights copy() {
        TranscoderWeights c = new TranscoderWeights(spec);
        var src = parameters();
        c.parameters().forEach((k, v) -> System.arraycopy(src.get(k), 0, v, 0, v.length));
        return c;
    }

    /**
     * Folds the training scales in (trained on sIn_i·x_i predicting sOut_t·y_t): afterwards the weights read raw
     * inputs and predict raw outputs with identical feature activations. {@code scales} = [sIn_0.., sOut_0..].
     */
    void foldScales(float[] scales) {
        int nl = spec.nLayers(), d = spec.dModel(), n = spec.dTranscoder();
        for (int i = 0; i < nl; i++) {
            float sIn = scales[i];
            for (int a = 0; a < wEncT[i].length; a++) wEncT[i][a] *= sIn;
            int w = width(i);
            for (int j = 0; j < n; j++) for (int c = 0; c < w; c++) wDec[i][j * w + c] /= scales[nl + i + c / d];
            if (wSkip[i] != null) for (int a = 0; a < wSkip[i].length; a++) wSkip[i][a] *= sIn / scales[nl + i];
        }
        for (int c = 0; c < bDec.length; c++) bDec[c] /= scales[nl + c / d];
    }
}
