package dev.loupe.activations;

import dev.loupe.model.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child-process entry for tests: {@code collect MODEL DATASET OUT MAX_TOKENS SHARD_BYTES} or
 * {@code shuffle IN OUT MEMORY SEED}; prints {@code VmHWM <kB>} (peak resident set) when done.
 */
public final class StoreJobMain {
    private StoreJobMain() {}

    public static void main(String[] a) throws Exception {
        switch (a[0]) {
            case "collect" -> CollectFixture.collection(Path.of(a[2]), Path.of(a[3]), Long.parseLong(a[4]), Long.parseLong(a[5]))
                    .run(ModelLoader.load(a[1], null), System.err);
            case "shuffle" -> new Shuffler(Path.of(a[1]), Path.of(a[2]), Long.parseLong(a[3]), Long.parseLong(a[4]), System.err).run();
            default -> throw new IllegalArgumentException(a[0]);
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) if (line.startsWith("VmHWM")) System.out.println(line);
    }
}
