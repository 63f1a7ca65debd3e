package dev.loupe.model.format;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Opens a model on disk in whichever format it is, as a {@link Checkpoint}. */
public final class Checkpoints {
    /** The config file of a Hugging Face model folder. */
    public static final String CONFIG_FILE = "config.json";

    private Checkpoints() {}

    /**
     * Opens {@code path}: a Hugging Face folder ({@code config.json} with {@code model.safetensors}
     * or {@code model.safetensors.index.json}), a {@code .safetensors} or {@code .index.json} file with
     * {@code config.json} beside it, a llama2.c {@code .bin} checkpoint, or a BERT-family {@code .onnx} export.
     */
    public static Checkpoint open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            HfConfig config = HfConfig.read(requireConfig(path, path));
            return new Checkpoint(config, WeightStores.openFolder(path), path);
        }
        if (!Files.isRegularFile(path)) throw new NoSuchFileException(path.toString(), null, "no such model folder or file");
        String name = path.getFileName().toString();
        if (name.endsWith(".bin")) return Llama2cCheckpoint.load(path);
        if (name.endsWith(".onnx")) return OnnxCheckpoint.open(path);
        if (name.endsWith(".safetensors") || name.endsWith(".index.json")) {
            Path dir = path.toAbsolutePath().getParent();
            HfConfig config = HfConfig.read(requireConfig(dir, path));
            return new Checkpoint(config, SafeTensors.open(path), path);
        }
        throw new FormatException(path + ": not a model folder, .safetensors, .index.json, llama2.c .bin or .onnx file");
    }

    private static Path requireConfig(Path dir, Path opened) throws FormatException {
        Path config = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(config)) {
            throw new FormatException(opened + ": no " + CONFIG_FILE + " in " + dir + " to say which architecture the weights are for");
        }
        return config;
    }
}
