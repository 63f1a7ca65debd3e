package dev.loupe.model.tokenizer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads a {@link Tokenizer} from whatever file or folder a model ships with, choosing the format
 * by name so callers need not know it.
 */
public final class Tokenizers {
    private static final String EXPECTED = "expected a tokenizer.json, a folder with tokenizer.json "
            + "or vocab.json + merges.txt or tokenizer.bin/tok*.bin, or a llama2.c .bin file";

    private Tokenizers() {}

    /**
     * Loads a tokenizer from:
     * <ul>
     *   <li>a {@code *.json} file: Hugging Face {@code tokenizer.json}, except a file named
     *       {@code vocab.json}, which is read with its sibling {@code merges.txt} (GPT-2);
     *   <li>a {@code *.bin} file: llama2.c tokenizer;
     *   <li>a folder: its {@code tokenizer.json}, else {@code vocab.json + merges.txt}, else
     *       {@code tokenizer.bin}, else the first {@code tok*.bin} by name.
     * </ul>
     *
     * @throws NoSuchFileException if the path or a needed sibling file does not exist
     * @throws TokenizerFormatException if a file is malformed or of an unknown kind
     */
    public static Tokenizer load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return loadFolder(path);
        }
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "tokenizer not found; " + EXPECTED);
        }
        String name = path.getFileName().toString();
        if (name.equals("vocab.json") || name.equals("merges.txt")) {
            Path dir = path.toAbsolutePath().getParent();
            return loadGpt2(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        }
        if (name.endsWith(".json")) {
            return HuggingFaceTokenizer.load(path);
        }
        if (name.endsWith(".bin")) {
            return Llama2cTokenizer.load(path);
        }
        throw new TokenizerFormatException(path + ": unrecognised tokenizer file name; " + EXPECTED);
    }

    private static Tokenizer loadFolder(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            return HuggingFaceTokenizer.load(dir.resolve("tokenizer.json"));
        }
        if (Files.isRegularFile(dir.resolve("vocab.json")) || Files.isRegularFile(dir.resolve("merges.txt"))) {
            return loadGpt2(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        }
        if (Files.isRegularFile(dir.resolve("tokenizer.bin"))) {
            return Llama2cTokenizer.load(dir.resolve("tokenizer.bin"));
        }
        List<Path> bins = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "tok*.bin")) {
            ds.forEach(bins::add);
        }
        if (!bins.isEmpty()) {
            bins.sort(null);
            return Llama2cTokenizer.load(bins.getFirst());
        }
        throw new NoSuchFileException(dir.toString(), null, "no tokenizer in folder; " + EXPECTED);
    }

    private static Tokenizer loadGpt2(Path vocab, Path merges) throws IOException {
        for (Path p : List.of(vocab, merges)) {
            if (!Files.isRegularFile(p)) {
                throw new NoSuchFileException(p.toString(), null,
                        "GPT-2 tokenizer needs both vocab.json and merges.txt side by side");
            }
        }
        return HuggingFaceTokenizer.loadGpt2(vocab, merges);
    }
}
