package dev.loupe.sae.transcoder;

import java.util.Map;

/**
 * Where transcoder features read and write, as Loupe hook names relative to a block
 * ({@code "ln2.hook_normalized"} becomes {@code blocks.{l}.ln2.hook_normalized}). circuit-tracer's configs name
 * the MLP's own hook points, {@code mlp.hook_in} (the MLP input, after ln2) and {@code mlp.hook_out} (its output);
 * those map to Loupe's {@code ln2.hook_normalized} and {@code hook_mlp_out}, and TransformerLens names pass through.
 */
public record TranscoderHooks(String input, String output) {
    public static final TranscoderHooks MLP = new TranscoderHooks("ln2.hook_normalized", "hook_mlp_out");

    private static final Map<String, String> FROM_CIRCUIT_TRACER = Map.of("mlp.hook_in", "ln2.hook_normalized", "mlp.hook_out", "hook_mlp_out");
    private static final Map<String, String> TO_CIRCUIT_TRACER = Map.of("ln2.hook_normalized", "mlp.hook_in", "hook_mlp_out", "mlp.hook_out");

    /** From circuit-tracer's {@code feature_input_hook} / {@code feature_output_hook}. */
    public static TranscoderHooks fromCircuitTracer(String input, String output) {
        return new TranscoderHooks(FROM_CIRCUIT_TRACER.getOrDefault(input, input), FROM_CIRCUIT_TRACER.getOrDefault(output, output));
    }

    public String circuitTracerInput() {
        return TO_CIRCUIT_TRACER.getOrDefault(input, input);
    }

    public String circuitTracerOutput() {
        return TO_CIRCUIT_TRACER.getOrDefault(output, output);
    }

    /** The full input hook name at {@code layer}. */
    public String inputAt(int layer) {
        return "blocks." + layer + "." + input;
    }

    /** The full output hook name at {@code layer}. */
    public String outputAt(int layer) {
        return "blocks." + layer + "." + output;
    }
}
