package dev.loupe.model.format;

import dev.loupe.core.Tensor;
import java.util.Map;
import java.util.Set;

/**
 * Named tensors of a checkpoint, read on demand. Implementations memory-map their files, so
 * opening is cheap and only the tensors asked for are read (and converted). Every read returns
 * a fresh copy the caller owns. Close the store to unmap its files; reads after closing fail.
 */
public interface WeightStore extends AutoCloseable {
    /** Tensor names, in the order the file (or index) lists them. */
    Set<String> names();

    /** Type and shape of {@code name}; throws {@link IllegalArgumentException} naming close matches if absent. */
    TensorInfo info(String name);

    /** The tensor as float32, whatever its stored type (F16/BF16/F64 are converted; integers cast). */
    Tensor tensor(String name);

    /** An integer or boolean tensor's values, row-major (e.g. token ids); floating types are refused. */
    long[] longs(String name);

    /** The file's string metadata ({@code __metadata__} in safetensors); empty if none. */
    Map<String, String> metadata();

    default boolean contains(String name) {
        return names().contains(name);
    }

    @Override
    void close();
}
