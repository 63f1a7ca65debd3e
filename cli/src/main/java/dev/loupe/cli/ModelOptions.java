package dev.loupe.cli;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.WeightDtype;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * The {@code --model SRC [--tokenizer FILE]} options every model command shares. Without {@code --model},
 * commands use Loupe's bundled model, {@value #DEFAULT_MODEL} under the Loupe home (the {@code loupe.home}
 * system property, which the {@code ./loupe} launcher sets to its own folder; else the working directory).
 */
final class ModelOptions {
    static final Set<String> NAMES = Set.of("model", "tokenizer", "dtype");
    /** Loupe's own small model (2 layers with MLPs, trained on the Brown corpus), relative to the Loupe home. */
    static final String DEFAULT_MODEL = "models/loupe-brown-2l-mlp";
    static final String USAGE = """
              --model SRC        a Hugging Face folder, a llama2.c .bin, or a hub id (e.g. gpt2);
                                 default: Loupe's bundled models/loupe-brown-2l-mlp
              --tokenizer FILE   tokenizer.json, vocab.json, or llama2.c tokenizer .bin (default: found beside the model)
              --dtype f32|stored weights in float32, or as stored (default: BF16/F16 checkpoints stay 16-bit)""";

    private ModelOptions() {}

    static LoadedModel load(Args args) throws IOException {
        String tok = args.get("tokenizer");
        String model = args.has("model") ? args.get("model") : defaultModel().toString();
        WeightDtype dtype = dtype(args);
        System.err.println("loupe: " + ModelLoader.memory(model, dtype).describe(model));
        return ModelLoader.load(model, tok == null ? null : Path.of(tok), dtype);
    }

    /** The {@code --dtype} option (default: as stored). */
    static WeightDtype dtype(Args args) {
        return args.has("dtype") ? WeightDtype.parse(args.get("dtype")) : WeightDtype.STORED;
    }

    /** The bundled model's folder; a clear error if this installation lacks it. */
    static Path defaultModel() {
        Path home = Path.of(System.getProperty("loupe.home", ""));
        Path p = home.resolve(DEFAULT_MODEL).toAbsolutePath();
        if (!java.nio.file.Files.isDirectory(p)) {
            throw new Args.UsageException("no --model given and the bundled default model is missing (looked for " + p
                    + "; the ./loupe launcher sets -Dloupe.home to its folder)");
        }
        return p;
    }

    static Set<String> with(String... more) {
        var s = new java.util.HashSet<>(NAMES);
        s.addAll(Set.of(more));
        return s;
    }
}
