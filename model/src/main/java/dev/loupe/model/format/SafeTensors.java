package dev.loupe.model.format;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Opens safetensors checkpoints (https://huggingface.co/docs/safetensors): one memory-mapped
 * {@code .safetensors} file, or a sharded checkpoint through its {@code *.safetensors.index.json}.
 * Headers are validated in full at open time; see {@link SafeTensorsWriter} for writing.
 */
public final class SafeTensors {
    /** Name of the single-file checkpoint in a Hugging Face model folder. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** Name of the shard index in a Hugging Face model folder. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private SafeTensors() {}

    /**
     * Opens a {@code .safetensors} file, or a sharded checkpoint when {@code file} is an
     * {@code .index.json} (see {@link SafeTensorsIndex}).
     */
    public static WeightStore open(Path file) throws IOException {
        if (file.getFileName().toString().endsWith(".index.json")) {
            return SafeTensorsIndex.read(file).open();
        }
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "no such safetensors file");
        String label = file.toString();
        MappedWeightStore.Mapping mapping = MappedWeightStore.map(file);
        try {
            SafeTensorsHeader.Parsed h = SafeTensorsHeader.parse(label, mapping.segment());
            return mapping.toStore(label, h.slots(), h.metadata());
        } catch (IOException | RuntimeException e) {
            mapping.close();
            throw e;
        }
    }
}
