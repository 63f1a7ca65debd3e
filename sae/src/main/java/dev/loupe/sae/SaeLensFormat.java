package dev.loupe.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.Elementwise;
import dev.loupe.model.format.AtomicFile;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.model.format.WeightStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * SAELens's on-disk SAE: a folder with {@code cfg.json} and {@code sae_weights.safetensors} holding
 * {@code W_enc} [d_in, d_sae], {@code b_enc} [d_sae], {@code W_dec} [d_sae, d_in], {@code b_dec} [d_in] and,
 * for JumpReLU, {@code threshold} [d_sae]. The config is written in the flat layout every SAELens version
 * reads (5.x directly; 6.x converts it on load): architecture, d_in, d_sae, dtype, device, model_name,
 * hook_name, hook_layer, hook_head_index, activation_fn_str + activation_fn_kwargs ({@code {"k": k}} for
 * TopK; also a top-level {@code k}), apply_b_dec_to_input, normalize_activations, context_size,
 * prepend_bos. Reading also accepts 6.x files (fields nested under {@code metadata}) and
 * {@code log_threshold}. BatchTopK is written as what it is at inference, JumpReLU with its one threshold.
 */
public final class SaeLensFormat {
    public static final String CONFIG_FILE = "cfg.json";
    public static final String WEIGHTS_FILE = "sae_weights.safetensors";
    private static final ObjectMapper JSON = Json.MAPPER;

    private SaeLensFormat() {}

    /** Writes {@code sae} to {@code dir} (created if needed); both files atomically. */
    public static void write(Sae sae, Path dir) throws IOException {
        SaeArchitecture arch = sae.architecture();
        SaeArchitecture saved = SaeArchitectures.get(arch.inferenceName());
        Sae out = saved == arch ? sae : sae.withConfig(sae.config().withArchitecture(saved.name(), saved.usesK() ? sae.config().k() : 0));
        SafeTensorsWriter w = new SafeTensorsWriter()
                .add("W_enc", out.wEnc())
                .add("b_enc", out.bEnc())
                .add("W_dec", out.wDec())
                .add("b_dec", out.bDec());
        if (out.threshold() != null) w.add("threshold", out.threshold());
        Files.createDirectories(dir);
        w.write(dir.resolve(WEIGHTS_FILE));
        byte[] cfg = configJson(out.config()).getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(dir.resolve(CONFIG_FILE), ch -> ch.write(ByteBuffer.wrap(cfg)));
    }

    /** Reads an SAE folder written by SAELens or by {@link #write}. */
    public static Sae read(Path dir) throws IOException {
        Path cfgFile = dir.resolve(CONFIG_FILE), weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(cfgFile)) throw new NoSuchFileException(cfgFile.toString(), null, "an SAELens SAE folder holds cfg.json and sae_weights.safetensors");
        SaeConfig cfg = parseConfig(Files.readString(cfgFile), cfgFile.toString());
        try (WeightStore ws = SafeTensors.open(weights)) {
            Tensor threshold = null;
            if (ws.contains("threshold")) threshold = ws.tensor("threshold");
            else if (ws.contains("log_threshold")) {
                threshold = ws.tensor("log_threshold");
                float[] t = threshold.data();
                for (int i = 0; i < t.length; i++) t[i] = (float) Math.exp(t[i]);
            }
            if (!SaeArchitectures.get(cfg.architecture()).hasThreshold()) threshold = null;
            else if (threshold == null) throw new IllegalArgumentException(weights + ": a " + cfg.architecture() + " SAE needs a 'threshold' tensor [d_sae]");
            try {
                Sae sae = Sae.of(cfg, need(ws, "W_enc", weights), need(ws, "b_enc", weights), need(ws, "W_dec", weights), need(ws, "b_dec", weights), threshold);
                sae.parameters().forEach((name, values) -> {
                    int bad = Elementwise.firstNonFinite(values);
                    if (bad >= 0) throw new IllegalArgumentException(weights + ": tensor '" + name + "' holds " + values[bad] + " at element " + bad + "; parameters must be finite");
                });
                return sae;
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(weights + " does not match " + cfgFile + " (d_in=" + cfg.dIn() + ", d_sae=" + cfg.dSae() + "): " + e.getMessage(), e);
            }
        }
    }

    private static Tensor need(WeightStore ws, String name, Path file) {
        if (!ws.contains(name)) throw new IllegalArgumentException(file + " has no tensor '" + name + "' (has " + ws.names() + ")");
        if (!ws.info(name).dtype().isFloating()) throw new IllegalArgumentException(file + ": tensor '" + name + "' is " + ws.info(name).dtype() + ", expected a floating-point type");
        return ws.tensor(name);
    }

    /** The cfg.json text for {@code cfg}. */
    public static String configJson(SaeConfig cfg) {
        ObjectNode o = JSON.createObjectNode();
        o.put("architecture", cfg.architecture());
        o.put("d_in", cfg.dIn());
        o.put("d_sae", cfg.dSae());
        o.put("dtype", "float32");
        o.put("device", "cpu");
        o.put("model_name", cfg.modelName());
        o.put("hook_name", cfg.hookName());
        o.put("hook_layer", cfg.hookLayer());
        o.putNull("hook_head_index");
        SaeArchitecture arch = SaeArchitectures.get(cfg.architecture());
        o.put("activation_fn_str", arch.activationFn());
        ObjectNode kwargs = o.putObject("activation_fn_kwargs");
        if (arch.usesK()) {
            kwargs.put("k", cfg.k());
            o.put("k", cfg.k());
        }
        o.put("apply_b_dec_to_input", cfg.applyBDecToInput());
        o.put("finetuning_scaling_factor", false);
        o.put("normalize_activations", cfg.normalizeActivations());
        o.put("context_size", cfg.contextSize());
        o.put("prepend_bos", true);
        o.putNull("dataset_path");
        o.putNull("sae_lens_training_version");
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses cfg.json text (flat 5.x layout or 6.x with {@code metadata}); {@code label} names it in errors. */
    public static SaeConfig parseConfig(String json, String label) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(label + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        if (o == null || !o.isObject()) throw new IllegalArgumentException(label + ": expected a JSON object");
        JsonNode meta = o.has("metadata") ? o.get("metadata") : o.has("meta") ? o.get("meta") : o;
        String activation = text(o, "activation_fn_str", text(o, "activation_fn", "relu"));
        String arch = SaeArchitectures.resolve(text(o, "architecture", "standard"), activation).name();
        int k = o.has("k") ? integer(o, "k", 0, label) : integer(o.path("activation_fn_kwargs"), "k", 0, label);
        if (!o.has("d_in") || !o.has("d_sae")) throw new IllegalArgumentException(label + ": needs integer fields d_in and d_sae");
        String norm = text(o, "normalize_activations", "none");
        if (!norm.equals("none")) {
            throw new IllegalArgumentException(label + ": normalize_activations '" + norm + "' is not supported; Loupe reads SAEs whose scaling is folded into the weights ('none')");
        }
        try {
            return new SaeConfig(arch, integer(o, "d_in", 0, label), integer(o, "d_sae", 0, label), text(meta, "hook_name", text(o, "hook_name", text(o, "hook_point", ""))),
                    integer(meta, "hook_layer", integer(o, "hook_layer", -1, label), label), text(meta, "model_name", text(o, "model_name", "")), k,
                    o.path("apply_b_dec_to_input").asBoolean(true), norm, integer(meta, "context_size", integer(o, "context_size", 0, label), label));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(label + ": " + e.getMessage(), e);
        }
    }

    /** An int field (fallback when absent or null); 2^32+512 is refused, not truncated to 512. */
    private static int integer(JsonNode o, String field, int fallback, String label) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return fallback;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new IllegalArgumentException(label + ": field '" + field + "' is " + v + ", expected an int");
        return v.intValue();
    }

    private static String text(JsonNode o, String field, String fallback) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? fallback : v.asText();
    }
}
