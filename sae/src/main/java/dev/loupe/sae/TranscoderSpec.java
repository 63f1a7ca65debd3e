package dev.loupe.sae;

import dev.loupe.sae.transcoder.TranscoderHooks;
import java.util.Arrays;

/**
 * What a transcoder set is: which layers it replaces, its kind, its activation and widths. A per-layer
 * transcoder (PLT) reads one layer's MLP input and predicts that layer's MLP output; a skip transcoder adds a
 * linear path {@code W_skip}; a cross-layer transcoder (CLT) has an encoder per layer whose features write to
 * their own and every later layer's MLP output (Anthropic, "Circuit Tracing", 2025). Training treats all three
 * as one structure: source layer i has encoder {@code W_enc[i]} and a decoder to {@code targets(i)} layers.
 *
 * @param kind {@code transcoder}, {@code skip_transcoder} or {@code clt}
 * @param activation the latent activation, a {@link SaeArchitectures} name: {@code standard} (ReLU + L1), {@code jumprelu}, {@code topk}
 * @param layers the model layers replaced, increasing (a CLT's features write to every later one of these)
 * @param dModel the MLP input and output width
 * @param dTranscoder features per layer
 * @param k features per token and layer for TopK (0 otherwise)
 * @param hooks where features read and write ({@link TranscoderHooks#MLP}: {@code ln2.hook_normalized} → {@code hook_mlp_out})
 * @param modelName the model trained on (metadata)
 */
public record TranscoderSpec(String kind, String activation, int[] layers, int dModel, int dTranscoder, int k, TranscoderHooks hooks,
                             String modelName) {
    public static final String PLT = "transcoder", SKIP = "skip_transcoder", CLT = "clt";

    public TranscoderSpec {
        if (!kind.equals(PLT) && !kind.equals(SKIP) && !kind.equals(CLT)) {
            throw new IllegalArgumentException("transcoder kind must be " + PLT + ", " + SKIP + " or " + CLT + ", got '" + kind + "'");
        }
        SaeArchitecture a = SaeArchitectures.get(activation);
        if (a.hasThreshold() && !a.trainsThreshold()) throw new IllegalArgumentException("transcoders train with standard, topk or jumprelu activations, not " + activation);
        if (layers.length == 0) throw new IllegalArgumentException("a transcoder set needs at least one layer");
        for (int i = 1; i < layers.length; i++) if (layers[i] <= layers[i - 1]) throw new IllegalArgumentException("transcoder layers must increase: " + Arrays.toString(layers));
        if (dModel <= 0 || dTranscoder <= 0) throw new IllegalArgumentException("d_model and d_transcoder must be positive, got " + dModel + ", " + dTranscoder);
        if (a.usesK() && (k <= 0 || k > dTranscoder)) throw new IllegalArgumentException(activation + " needs 0 < k <= d_transcoder (" + dTranscoder + "), got k=" + k);
        layers = layers.clone();
        if (modelName == null) modelName = "";
    }

    public SaeArchitecture architecture() {
        return SaeArchitectures.get(activation);
    }

    public int nLayers() {
        return layers.length;
    }

    /** How many layers source layer i's features write to: all from i on for a CLT, only i otherwise. */
    public int targets(int i) {
        return kind.equals(CLT) ? layers.length - i : 1;
    }

    public boolean skip() {
        return kind.equals(SKIP);
    }

    /** The input hook of source layer i (index into {@link #layers()}). */
    public String inputHook(int i) {
        return hooks.inputAt(layers[i]);
    }

    /** The output hook of layer i (index into {@link #layers()}). */
    public String outputHook(int i) {
        return hooks.outputAt(layers[i]);
    }

    /** The hooks a training row holds, in order: every layer's input, then every layer's output. */
    public java.util.List<String> rowHooks() {
        java.util.List<String> h = new java.util.ArrayList<>();
        for (int i = 0; i < layers.length; i++) h.add(inputHook(i));
        for (int i = 0; i < layers.length; i++) h.add(outputHook(i));
        return h;
    }

    /** A stable text form (checkpoints resume only an identical spec). */
    public String describe() {
        return kind + " " + activation + " layers=" + Arrays.toString(layers) + " d_model=" + dModel + " d_transcoder=" + dTranscoder + " k=" + k
                + " in=" + hooks.input() + " out=" + hooks.output() + " model=" + modelName;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TranscoderSpec s && describe().equals(s.describe());
    }

    @Override
    public int hashCode() {
        return describe().hashCode();
    }

    @Override
    public String toString() {
        return describe();
    }
}
