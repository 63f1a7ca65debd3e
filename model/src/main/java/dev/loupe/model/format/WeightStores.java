package dev.loupe.model.format;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Finds the weights of a Hugging Face model folder. */
public final class WeightStores {
    private WeightStores() {}

    /** {@code store} with every matrix widened to float32 as it is read (16-bit checkpoints loaded with {@code --dtype f32}). */
    public static WeightStore widened(WeightStore store) {
        return new Widened(store);
    }

    private record Widened(WeightStore store) implements WeightStore {
        @Override
        public java.util.Set<String> names() {
            return store.names();
        }

        @Override
        public TensorInfo info(String name) {
            return store.info(name);
        }

        @Override
        public dev.loupe.core.Tensor tensor(String name) {
            return store.tensor(name);
        }

        @Override
        public long[] longs(String name) {
            return store.longs(name);
        }

        @Override
        public java.util.Map<String, String> metadata() {
            return store.metadata();
        }

        @Override
        public void close() {
            store.close();
        }
    }

    /** Opens {@code model.safetensors} in {@code dir}, else the sharded checkpoint of {@code model.safetensors.index.json}. */
    public static WeightStore openFolder(Path dir) throws IOException {
        Path single = dir.resolve(SafeTensors.SINGLE_FILE);
        if (Files.isRegularFile(single)) return SafeTensors.open(single);
        Path index = dir.resolve(SafeTensors.INDEX_FILE);
        if (Files.isRegularFile(index)) return SafeTensors.open(index);
        String found;
        try (Stream<Path> files = Files.list(dir)) {
            found = files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.joining(", "));
        }
        boolean pickle = found.contains("pytorch_model") || found.contains(".pt") || found.contains(".pth");
        throw new FormatException(dir + ": no " + SafeTensors.SINGLE_FILE + " or " + SafeTensors.INDEX_FILE + " (found: "
                + (found.isEmpty() ? "nothing" : found) + ")"
                + (pickle ? "; PyTorch pickle checkpoints are not supported, convert them to safetensors" : ""));
    }
}
