package dev.loupe.sae.transcoder;

import dev.loupe.sae.SaeArchitectures;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.model.format.AtomicFile;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.model.format.WeightStore;
import dev.loupe.sae.SaeLensFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SAELens's per-layer transcoders: a folder with {@code cfg.json} ({@code architecture} {@code transcoder},
 * {@code skip_transcoder}, {@code jumprelu_transcoder} or {@code jumprelu_skip_transcoder}; {@code d_in}, {@code d_sae}, {@code d_out}; the input hook as
 * {@code hook_name}, flat or under {@code metadata}, and optionally {@code hook_name_out}) and
 * {@code sae_weights.safetensors} with {@code W_enc} [d_in, d_sae], {@code b_enc}, {@code W_dec} [d_sae, d_out],
 * {@code b_dec} [d_out], {@code threshold} [d_sae] (JumpReLU) and {@code W_skip} [d_out, d_in] (skip). Transcoders read
 * the input unshifted (SAELens refuses {@code apply_b_dec_to_input} for them). The layer is {@code hook_layer}, or the
 * number in {@code blocks.L.} of the hook name.
 */
public final class SaeLensTranscoder {
    private static final ObjectMapper JSON = Json.MAPPER;
    private static final Pattern LAYER = Pattern.compile("blocks\\.(\\d+)\\.");
    private static final java.util.List<String> ARCHITECTURES = java.util.List.of("transcoder", "skip_transcoder", "jumprelu_transcoder", "jumprelu_skip_transcoder");

    private SaeLensTranscoder() {}

    /** Reads a SAELens transcoder folder. */
    public static Transcoder read(Path dir) throws IOException {
        Path cfgFile = dir.resolve(SaeLensFormat.CONFIG_FILE), weights = dir.resolve(SaeLensFormat.WEIGHTS_FILE);
        if (!Files.isRegularFile(cfgFile)) throw new NoSuchFileException(cfgFile.toString(), null, "a SAELens transcoder folder holds cfg.json and sae_weights.safetensors");
        JsonNode o = JSON.readTree(Files.readString(cfgFile));
        JsonNode meta = o.has("metadata") ? o.get("metadata") : o;
        String arch = o.path("architecture").asText("");
        if (!ARCHITECTURES.contains(arch)) {
            throw new IllegalArgumentException(cfgFile + ": architecture '" + arch + "' is not a SAELens transcoder " + ARCHITECTURES);
        }
        int dIn = o.path("d_in").asInt(-1), width = o.path("d_sae").asInt(-1), dOut = o.path("d_out").asInt(-1);
        if (dIn <= 0 || width <= 0 || dOut <= 0) throw new IllegalArgumentException(cfgFile + ": needs positive integer fields d_in, d_sae and d_out");
        if (dIn != dOut) throw new IllegalArgumentException(cfgFile + ": d_in " + dIn + " differs from d_out " + dOut + "; an MLP transcoder reads and writes d_model");
        if (o.path("apply_b_dec_to_input").asBoolean(false)) throw new IllegalArgumentException(cfgFile + ": apply_b_dec_to_input is not supported for transcoders");
        String hook = meta.path("hook_name").asText(o.path("hook_name").asText(""));
        int layer = meta.path("hook_layer").asInt(o.path("hook_layer").asInt(-1));
        Matcher m = LAYER.matcher(hook);
        if (layer < 0 && m.find()) layer = Integer.parseInt(m.group(1));
        if (layer < 0) throw new IllegalArgumentException(cfgFile + ": no layer: give hook_layer or a hook_name like blocks.L.ln2.hook_normalized (got '" + hook + "')");
        try (WeightStore ws = SafeTensors.open(weights)) {
            String w = weights + ": ";
            boolean jump = arch.startsWith("jumprelu_"), skip = arch.contains("skip_");
            return new Transcoder(layer, dIn, width, SaeArchitectures.get(jump ? "jumprelu" : "standard"),
                    Ops.transpose(need(ws, "W_enc", weights).requireShape(w + "W_enc", dIn, width)).data(),
                    need(ws, "b_enc", weights).requireShape(w + "b_enc", width).data(), need(ws, "W_dec", weights).requireShape(w + "W_dec", width, dOut).data(),
                    need(ws, "b_dec", weights).requireShape(w + "b_dec", dOut).data(),
                    jump ? need(ws, "threshold", weights).requireShape(w + "threshold", width).data() : null, 0,
                    skip ? need(ws, "W_skip", weights).requireShape(w + "W_skip", dOut, dIn).data() : null);
        }
    }

    /** Writes {@code t} (ReLU or JumpReLU, with or without skip; SAELens has no TopK transcoder) reading {@code hooks} at its layer. */
    public static void write(Transcoder t, TranscoderHooks hooks, String modelName, Path dir) throws IOException {
        if (t.activation().usesK()) throw new IllegalArgumentException("SAELens has no topk transcoder; save this one in circuit-tracer's layout");
        String arch = (t.activation().hasThreshold() ? "jumprelu_" : "") + (t.wSkip() != null ? "skip_" : "") + "transcoder";
        int d = t.dModel(), w = t.width();
        SafeTensorsWriter out = new SafeTensorsWriter().add("W_enc", Ops.transpose(Tensor.of(t.wEnc(), w, d))).add("b_enc", Tensor.of(t.bEnc(), w))
                .add("W_dec", Tensor.of(t.wDec(), w, d)).add("b_dec", Tensor.of(t.bDec(), d));
        if (t.threshold() != null) out.add("threshold", Tensor.of(t.threshold(), w));
        if (t.wSkip() != null) out.add("W_skip", Tensor.of(t.wSkip(), d, d));
        Files.createDirectories(dir);
        out.write(dir.resolve(SaeLensFormat.WEIGHTS_FILE));
        ObjectNode o = JSON.createObjectNode();
        o.put("architecture", arch).put("d_in", d).put("d_sae", w).put("d_out", d).put("dtype", "float32").put("device", "cpu")
                .put("apply_b_dec_to_input", false).put("normalize_activations", "none")
                .put("model_name", modelName).put("hook_name", hooks.inputAt(t.layer())).put("hook_layer", t.layer())
                .put("hook_name_out", hooks.outputAt(t.layer())).put("hook_layer_out", t.layer());
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o).getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(dir.resolve(SaeLensFormat.CONFIG_FILE), ch -> ch.write(ByteBuffer.wrap(bytes)));
    }

    private static Tensor need(WeightStore ws, String name, Path file) {
        if (!ws.contains(name)) throw new IllegalArgumentException(file + " has no tensor '" + name + "' (has " + ws.names() + ")");
        return ws.tensor(name);
    }
}
