package dev.loupe.sae.transcoder;

import dev.loupe.sae.SaeArchitecture;
import dev.loupe.sae.SaeArchitectures;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.model.format.AtomicFile;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.model.format.WeightStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * circuit-tracer's transcoder folders. A folder holds {@code config.yaml} with {@code model_kind},
 * {@code feature_input_hook}, {@code feature_output_hook}, optionally {@code scan}, and:
 * <ul>
 *   <li>{@code transcoder_set}: a {@code transcoders:} list of per-layer safetensors files (plain paths relative to the
 *       folder, or {@code {layer, filepath}} entries), each with {@code W_enc} [d_tc, d_model], {@code W_dec}
 *       [d_tc, d_model], {@code b_enc} [d_tc], {@code b_dec} [d_model], optional {@code activation_function.threshold}
 *       [d_tc] (JumpReLU) and optional {@code W_skip} [d_model, d_model] (applied as x W_skip^T);</li>
 *   <li>{@code cross_layer_transcoder}: files {@code W_enc_{i}.safetensors} with {@code W_enc_{i}} [d_tc, d_model],
 *       {@code b_enc_{i}}, {@code b_dec_{i}}, optional {@code threshold_{i}}, and {@code W_dec_{i}.safetensors} with
 *       {@code W_dec_{i}} [d_tc, n_layers − i, d_model]. Loupe also writes an optional {@code W_skip_{i}} [d_model, d_model]
 *       into the encoder file, applied as circuit-tracer's CLT applies it (x W_skip).</li>
 * </ul>
 * Loupe adds {@code activation: relu|jumprelu|topk} and {@code k: N} for TopK (circuit-tracer infers JumpReLU from a
 * threshold tensor and ReLU otherwise, which reading also does when the key is absent).
 */
public final class CircuitTracerFormat {
    public static final String CONFIG_FILE = "config.yaml";
    public static final String TRANSCODER_SET = "transcoder_set";
    public static final String CROSS_LAYER = "cross_layer_transcoder";

    private CircuitTracerFormat() {}

    /** Reads a transcoder-set or CLT folder. */
    public static Transcoders read(Path dir) throws IOException {
        Path cfgFile = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(cfgFile)) {
            throw new NoSuchFileException(cfgFile.toString(), null, "a circuit-tracer transcoder folder holds config.yaml and the transcoders' safetensors files");
        }
        Map<String, Object> cfg = SimpleYaml.parse(Files.readString(cfgFile), cfgFile.toString());
        TranscoderHooks hooks = TranscoderHooks.fromCircuitTracer(string(cfg, "feature_input_hook", "mlp.hook_in"),
                string(cfg, "feature_output_hook", "mlp.hook_out"));
        String scan = cfg.get("scan") instanceof String s ? s : null;
        String kind = string(cfg, "model_kind", TRANSCODER_SET);
        String act = cfg.get("activation") instanceof String s ? s : null;
        int k = cfg.get("k") instanceof String s ? parseInt(s, cfgFile + ": k") : 0;
        return switch (kind) {
            case TRANSCODER_SET -> readSet(dir, cfgFile, cfg, hooks, scan, act, k);
            case CROSS_LAYER -> readClt(dir, hooks, scan, act, k);
            default -> throw new IllegalArgumentException(cfgFile + ": model_kind '" + kind + "' is not " + TRANSCODER_SET + " or " + CROSS_LAYER);
        };
    }

    private static TranscoderSet readSet(Path dir, Path cfgFile, Map<String, Object> cfg, TranscoderHooks hooks, String scan, String act, int k)
            throws IOException {
        if (!(cfg.get("transcoders") instanceof List<?> entries) || entries.isEmpty()) {
            throw new IllegalArgumentException(cfgFile + ": a transcoder_set needs a 'transcoders:' list of per-layer files");
        }
        Path[] files = new Path[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            Object e = entries.get(i);
            String path;
            int layer = i;
            if (e instanceof Map<?, ?> m) {
                path = (String) m.get("filepath");
                if (path == null) throw new IllegalArgumentException(cfgFile + ": transcoders entry " + i + " has no filepath");
                if (m.get("layer") != null) layer = parseInt((String) m.get("layer"), cfgFile + ": transcoders entry " + i + " layer");
            } else {
                path = (String) e;
            }
            if (path.startsWith("hf://")) {
                throw new IllegalArgumentException(cfgFile + ": " + path + " is on the Hugging Face Hub; download it and list the local file");
            }
            if (layer < 0 || layer >= files.length || files[layer] != null) {
                throw new IllegalArgumentException(cfgFile + ": transcoders must cover layers 0.." + (files.length - 1) + " once each; entry " + i + " is layer " + layer);
            }
            files[layer] = dir.resolve(path);
        }
        List<Transcoder> layers = new ArrayList<>();
        for (int l = 0; l < files.length; l++) layers.add(readLayer(files[l], l, act, k));
        return new TranscoderSet(layers, hooks, scan);
    }

    private static Transcoder readLayer(Path file, int layer, String act, int k) throws IOException {
        try (WeightStore ws = SafeTensors.open(file)) {
            Tensor bDec = need(ws, "b_dec", file);
            int d = bDec.numel(), width = need(ws, "b_enc", file).numel();
            Tensor threshold = ws.contains("activation_function.threshold") ? ws.tensor("activation_function.threshold")
                    : ws.contains("threshold") ? ws.tensor("threshold") : null;
            SaeArchitecture f = SaeArchitectures.forActivation(act != null ? act : threshold != null ? "jumprelu" : "relu");
            if (!f.hasThreshold()) threshold = null;
            else if (threshold == null) throw new IllegalArgumentException(file + ": a jumprelu transcoder needs activation_function.threshold [" + width + "]");
            float[] skip = ws.contains("W_skip") ? shaped(ws, "W_skip", file, d, d).data() : null;
            return new Transcoder(layer, d, width, f, shaped(ws, "W_enc", file, width, d).data(), need(ws, "b_enc", file).data(),
                    shaped(ws, "W_dec", file, width, d).data(), bDec.data(), threshold == null ? null : threshold.requireShape(file + ": activation_function.threshold", width).data(),
                    f.usesK() ? requireK(k, file) : 0, skip);
        }
    }

    private static CrossLayerTranscoder readClt(Path dir, TranscoderHooks hooks, String scan, String act, int k) throws IOException {
        int n = 0;
        while (Files.isRegularFile(dir.resolve("W_enc_" + n + ".safetensors"))) n++;
        if (n == 0) throw new NoSuchFileException(dir.resolve("W_enc_0.safetensors").toString(), null, "a cross-layer transcoder folder holds W_enc_{i} and W_dec_{i} files");
        float[][] wEnc = new float[n][], bEnc = new float[n][], wDec = new float[n][], bDec = new float[n][], thr = new float[n][], skip = new float[n][];
        int d = -1, width = -1;
        boolean hasThreshold = false, hasSkip = false;
        for (int i = 0; i < n; i++) {
            Path enc = dir.resolve("W_enc_" + i + ".safetensors"), dec = dir.resolve("W_dec_" + i + ".safetensors");
            try (WeightStore ws = SafeTensors.open(enc)) {
                if (i == 0) {
                    d = need(ws, "b_dec_0", enc).numel();
                    width = need(ws, "b_enc_0", enc).numel();
                    hasThreshold = ws.contains("threshold_0");
                    hasSkip = ws.contains("W_skip_0");
                }
                bDec[i] = shaped(ws, "b_dec_" + i, enc, d).data();
                wEnc[i] = shaped(ws, "W_enc_" + i, enc, width, d).data();
                bEnc[i] = shaped(ws, "b_enc_" + i, enc, width).data();
                if (hasThreshold) thr[i] = shaped(ws, "threshold_" + i, enc, width).data();
                if (hasSkip) skip[i] = Ops.transpose(shaped(ws, "W_skip_" + i, enc, d, d)).data();
            }
            if (!Files.isRegularFile(dec)) throw new NoSuchFileException(dec.toString(), null, "every W_enc_{i} needs its W_dec_{i}");
            try (WeightStore ws = SafeTensors.open(dec)) {
                wDec[i] = shaped(ws, "W_dec_" + i, dec, width, n - i, d).data();
            }
        }
        SaeArchitecture f = SaeArchitectures.forActivation(act != null ? act : hasThreshold ? "jumprelu" : "relu");
        if (f.hasThreshold() && !hasThreshold) throw new IllegalArgumentException(dir + ": a jumprelu CLT needs threshold_{i} in each W_enc_{i} file");
        return new CrossLayerTranscoder(n, d, width, f, wEnc, bEnc, wDec, bDec, f.hasThreshold() ? thr : null,
                f.usesK() ? requireK(k, dir) : 0, hasSkip ? skip : null, hooks, scan);
    }

    /** Writes a transcoder set: config.yaml and layer_{i}.safetensors, each atomically. */
    public static void write(TranscoderSet set, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> files = new ArrayList<>();
        for (Transcoder t : set.layers()) {
            int d = t.dModel(), w = t.width();
            SafeTensorsWriter out = new SafeTensorsWriter()
                    .add("W_enc", Tensor.of(t.wEnc(), w, d)).add("b_enc", Tensor.of(t.bEnc(), w))
                    .add("W_dec", Tensor.of(t.wDec(), w, d)).add("b_dec", Tensor.of(t.bDec(), d));
            if (t.threshold() != null) out.add("activation_function.threshold", Tensor.of(t.threshold(), w));
            if (t.wSkip() != null) out.add("W_skip", Tensor.of(t.wSkip(), d, d));
            String name = "layer_" + t.layer() + ".safetensors";
            out.write(dir.resolve(name));
            files.add(name);
        }
        writeConfig(dir, TRANSCODER_SET, set, files, set.layer(0).k());
    }

    /** Writes a cross-layer transcoder: config.yaml, W_enc_{i} and W_dec_{i} files, each atomically. */
    public static void write(CrossLayerTranscoder clt, Path dir) throws IOException {
        Files.createDirectories(dir);
        int n = clt.nLayers(), d = clt.dModel(), w = clt.width();
        for (int i = 0; i < n; i++) {
            SafeTensorsWriter enc = new SafeTensorsWriter()
                    .add("W_enc_" + i, Tensor.of(clt.wEnc()[i], w, d)).add("b_enc_" + i, Tensor.of(clt.bEnc()[i], w))
                    .add("b_dec_" + i, Tensor.of(clt.bDec()[i], d));
            if (clt.threshold() != null) enc.add("threshold_" + i, Tensor.of(clt.threshold()[i], w));
            if (clt.wSkip() != null) enc.add("W_skip_" + i, Ops.transpose(Tensor.of(clt.wSkip()[i], d, d)));
            enc.write(dir.resolve("W_enc_" + i + ".safetensors"));
            new SafeTensorsWriter().add("W_dec_" + i, Tensor.of(clt.wDec()[i], w, n - i, d)).write(dir.resolve("W_dec_" + i + ".safetensors"));
        }
        writeConfig(dir, CROSS_LAYER, clt, List.of(), clt.k());
    }

    private static void writeConfig(Path dir, String kind, Transcoders t, List<String> files, int k) throws IOException {
        StringBuilder y = new StringBuilder();
        y.append("model_kind: ").append(kind).append('\n');
        if (t.scan() != null) y.append("scan: ").append(t.scan()).append('\n');
        y.append("feature_input_hook: ").append(t.hooks().circuitTracerInput()).append('\n');
        y.append("feature_output_hook: ").append(t.hooks().circuitTracerOutput()).append('\n');
        y.append("activation: ").append(SaeArchitectures.activationName(t.activation())).append('\n');
        if (k > 0) y.append("k: ").append(k).append('\n');
        if (!files.isEmpty()) {
            y.append("transcoders:\n");
            for (String f : files) y.append("  - ").append(f).append('\n');
        }
        byte[] bytes = y.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(dir.resolve(CONFIG_FILE), ch -> ch.write(ByteBuffer.wrap(bytes)));
    }

    private static String string(Map<String, Object> cfg, String key, String fallback) {
        return cfg.get(key) instanceof String s ? s : fallback;
    }

    private static int parseInt(String s, String what) {
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": expected an integer but got '" + s + "'");
        }
    }

    private static int requireK(int k, Path where) {
        if (k <= 0) throw new IllegalArgumentException(where + ": a topk transcoder needs 'k: N' (N > 0) in config.yaml");
        return k;
    }

    private static Tensor need(WeightStore ws, String name, Path file) {
        if (!ws.contains(name)) throw new IllegalArgumentException(file + " has no tensor '" + name + "' (has " + ws.names() + ")");
        return ws.tensor(name);
    }

    /** {@code name} from {@code file}, required to have {@code shape}. */
    private static Tensor shaped(WeightStore ws, String name, Path file, int... shape) {
        return need(ws, name, file).requireShape(file + ": " + name, shape);
    }
}
