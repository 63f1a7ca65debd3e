package dev.loupe.model;

import dev.loupe.model.arch.Architectures;
import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.Checkpoints;
import dev.loupe.model.format.WeightStores;
import dev.loupe.model.source.ModelSource;
import dev.loupe.model.tokenizer.Tokenizer;
import dev.loupe.model.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Loads a model from a folder in Hugging Face layout, a llama2.c {@code .bin}, or a hub id. */
public final class ModelLoader {
    private ModelLoader() {}

    /**
     * @param src a folder, a llama2.c checkpoint file, or a hub id such as {@code gpt2}
     * @param tokenizer a tokenizer file to use instead of the one found beside the model, or null
     */
    public static LoadedModel load(String src, Path tokenizer) throws IOException {
        return load(src, tokenizer, WeightDtype.STORED);
    }

    /**
     * As {@link #load(String, Path)}, holding the weights in {@code dtype}; refuses (before reading any weight)
     * a model whose weights do not fit the heap or the machine's memory (see {@link WeightMemory}).
     */
    public static LoadedModel load(String src, Path tokenizer, WeightDtype dtype) throws IOException {
        Path path = resolve(src);
        HookedTransformer model;
        try (Checkpoint opened = Checkpoints.open(path)) {
            WeightMemory.of(opened.weights(), dtype).requireFits(src);
            Checkpoint ckpt = dtype == WeightDtype.F32
                    ? new Checkpoint(opened.config(), WeightStores.widened(opened.weights()), opened.source()) : opened;
            model = Architectures.build(ckpt);
        }
        Tokenizer tok = tokenizer != null ? Tokenizers.load(tokenizer) : findTokenizer(path);
        return new LoadedModel(model, tok, path);
    }

    /** The memory the weights of {@code src} will need when loaded with {@code dtype}, from the checkpoint's header alone. */
    public static WeightMemory memory(String src, WeightDtype dtype) throws IOException {
        try (Checkpoint ckpt = Checkpoints.open(resolve(src))) {
            return WeightMemory.of(ckpt.weights(), dtype);
        }
    }

    static Path resolve(String src) throws IOException {
        return ModelSource.fromEnvironment().resolve(src);
    }

    private static Tokenizer findTokenizer(Path model) throws IOException {
        Path dir = Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
        try {
            return Tokenizers.load(dir);
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
