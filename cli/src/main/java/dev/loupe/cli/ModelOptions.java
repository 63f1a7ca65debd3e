package dev.loupe.cli;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/** The {@code --model SRC [--tokenizer FILE]} options every model command shares. */
final class ModelOptions {
    static final Set<String> NAMES = Set.of("model", "tokenizer");
    static final String USAGE = """
              --model SRC        a Hugging Face folder, a llama2.c .bin, or a hub id (e.g. gpt2)
              --tokenizer FILE   tokenizer.json, vocab.json, or llama2.c tokenizer .bin (default: found beside the model)""";

    private ModelOptions() {}

    static LoadedModel load(Args args) throws IOException {
        String tok = args.get("tokenizer");
        return ModelLoader.load(args.require("model"), tok == null ? null : Path.of(tok));
    }

    static Set<String> with(String... more) {
        var s = new java.util.HashSet<>(NAMES);
        s.addAll(Set.of(more));
        return s;
    }
}
