package dev.loupe.server.fuzz;

import dev.loupe.core.Tensor;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.model.arch.Architectures;
import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.Checkpoints;
import dev.loupe.model.format.HfConfig;
import dev.loupe.model.format.Llama2cCheckpoint;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.WeightStore;
import dev.loupe.model.tokenizer.Tokenizer;
import dev.loupe.model.tokenizer.Tokenizers;
import dev.loupe.sae.Sae;
import dev.loupe.sae.SaeLensFormat;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Fuzz targets of Loupe's file parsers: safetensors (header and tensors), llama2.c checkpoints (header, layout and the
 * model built from them), ONNX (protobuf and graph), tokenizer.json (built, then encoding and decoding text),
 * config.json (a whole model built from it over real weights), SAELens cfg.json (an SAE read with it) and
 * circuit-tracer transcoder config.yaml (a transcoder set read with it). Each
 * input is written to a file and parsed as a user's file would be.
 */
class FileFormatFuzz {
    static final Path SHARED = SharedModels.ROOT;
    static final Path DIR = temp();

    private static Path temp() {
        try {
            return Files.createTempDirectory("loupe-fuzz");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Path write(String name, byte[] bytes) throws IOException {
        return Files.write(DIR.resolve(name), bytes);
    }

    private static void readAll(WeightStore ws) {
        for (String n : ws.names()) {
            if (ws.info(n).dtype().isFloating()) ws.tensor(n);
            else ws.longs(n);
        }
    }

    @Provide
    Arbitrary<Corpus.Seed> safetensors() {
        return Mutator.inputs("safetensors");
    }

    @Property(tries = 800)
    void safetensorsFile(@ForAll("safetensors") Corpus.Seed in) throws Exception {
        Path f = write("x.safetensors", in.bytes());
        Outcomes.check("safetensors", () -> {
            try (WeightStore ws = SafeTensors.open(f)) {
                readAll(ws);
                ws.metadata();
            }
        });
    }

    @Provide
    Arbitrary<Corpus.Seed> llama2c() {
        return Mutator.inputs("llama2c");
    }

    @Property(tries = 600)
    void llama2cCheckpoint(@ForAll("llama2c") Corpus.Seed in) throws Exception {
        Path f = write("x.bin", in.bytes());
        Outcomes.check("llama2c", () -> {
            try (Checkpoint c = Llama2cCheckpoint.load(f)) {
                Architectures.build(c);
            }
        });
    }

    @Provide
    Arbitrary<Corpus.Seed> onnx() {
        return Mutator.inputs("onnx");
    }

    @Property(tries = 1500)
    void onnxModel(@ForAll("onnx") Corpus.Seed in) throws Exception {
        Path f = write("x.onnx", in.bytes());
        Outcomes.check("onnx", () -> {
            try (Checkpoint c = Checkpoints.open(f)) {
                readAll(c.weights());
            }
        });
    }

    @Provide
    Arbitrary<Corpus.Seed> tokenizer() {
        return Mutator.inputs("tokenizer");
    }

    @Property(tries = 1000)
    void tokenizerJson(@ForAll("tokenizer") Corpus.Seed in) throws Exception {
        Path f = write("tokenizer.json", in.bytes());
        Outcomes.check("tokenizer.json", () -> {
            Tokenizer t = Tokenizers.load(f);
            int[] ids = t.encode("Hello wörld, 12 345 <|bos|> \u0000 \uD83D\uDE00 hello");
            for (int i = 0; i < ids.length; i++) ids[i] = Math.floorMod(ids[i], Math.max(1, t.vocabSize()));
            t.decode(ids);
        });
    }

    @Provide
    Arbitrary<Corpus.Seed> config() {
        return Mutator.inputs("config");
    }

    /** A fuzzed config.json beside the real weights of the architecture its seed came from: the whole model is built. */
    @Property(tries = 150)
    void configJson(@ForAll("config") Corpus.Seed in) throws Exception {
        String model = switch (in.name()) {
            case "gpt2.json" -> "gpt2-tiny-random";
            case "gptneox.json" -> "pythia-tiny-random";
            default -> "stories260K-hf";
        };
        Path dir = DIR.resolve("model-" + model);
        if (!Files.exists(dir)) {
            Files.createDirectories(dir);
            Files.createSymbolicLink(dir.resolve("model.safetensors"), SHARED.resolve(model).resolve("model.safetensors").toAbsolutePath());
        }
        Files.write(dir.resolve("config.json"), in.bytes());
        Outcomes.check("config.json", () -> {
            HfConfig.read(dir.resolve("config.json"));
            ModelLoader.load(dir.toString(), null);
        });
    }

    @Provide
    Arbitrary<Corpus.Seed> sae() {
        return Mutator.inputs("sae");
    }

    /** A fuzzed SAELens cfg.json, parsed, then read against weights made for the seed's own config. */
    @Property(tries = 1500)
    void saeConfig(@ForAll("sae") Corpus.Seed in) throws Exception {
        Path dir = DIR.resolve("sae-" + in.name());
        if (!Files.exists(dir)) {
            var cfg = SaeLensFormat.parseConfig(new String(Corpus.of("sae").seeds().stream().filter(s -> s.name().equals(in.name())).findFirst()
                    .orElseThrow().bytes(), StandardCharsets.UTF_8), in.name());
            int dIn = cfg.dIn(), dSae = cfg.dSae();
            Sae sae = Sae.of(cfg, Tensor.zeros(dIn, dSae), Tensor.zeros(dSae), Tensor.zeros(dSae, dIn), Tensor.zeros(dIn),
                    cfg.architecture().equals("jumprelu") ? Tensor.zeros(dSae) : null);
            SaeLensFormat.write(sae, dir);
        }
        Files.write(dir.resolve("cfg.json"), in.bytes());
        Outcomes.check("sae cfg.json", () -> {
            SaeLensFormat.parseConfig(new String(in.bytes(), StandardCharsets.UTF_8), "cfg.json");
            SaeLensFormat.read(dir);
        });
    }

    @Provide
    Arbitrary<Corpus.Seed> transcoder() {
        return Mutator.inputs("transcoder");
    }

    /** A fuzzed circuit-tracer config.yaml beside the real per-layer transcoders of circuits-tiny. */
    @Property(tries = 600)
    void transcoderConfig(@ForAll("transcoder") Corpus.Seed in) throws Exception {
        Path dir = DIR.resolve("transcoders");
        if (!Files.exists(dir)) {
            Files.createDirectories(dir);
            for (String layer : new String[] {"layer_0.safetensors", "layer_1.safetensors"}) {
                Files.createSymbolicLink(dir.resolve(layer), SHARED.resolve("circuits-tiny/plt-skip").resolve(layer).toAbsolutePath());
            }
        }
        Files.write(dir.resolve(CircuitTracerFormat.CONFIG_FILE), in.bytes());
        Outcomes.check("transcoder yaml", () -> CircuitTracerFormat.read(dir));
    }

    @AfterContainer
    static void report() throws IOException {
        System.out.print(Outcomes.report());
        try (Stream<Path> s = Files.walk(DIR)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
