package dev.loupe.model.format;

import java.nio.file.Path;

/**
 * A model on disk as Loupe sees it whatever its format: a Hugging Face style config and weights
 * under Hugging Face tensor names. Closing it closes the weights.
 *
 * @param config  the architecture's hyperparameters ({@code config.json}, or one derived from a header)
 * @param weights the tensors, named as the Hugging Face implementation of {@code config.architecture()} names them
 * @param source  the folder or file it was opened from
 */
public record Checkpoint(HfConfig config, WeightStore weights, Path source) implements AutoCloseable {
    @Override
    public void close() {
        weights.close();
    }
}
