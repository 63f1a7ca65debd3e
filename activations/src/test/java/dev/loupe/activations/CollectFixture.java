package dev.loupe.activations;

import dev.loupe.model.SharedModels;
import dev.loupe.model.format.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The small real collection the tests run: stories260K over the first Brown documents. */
final class CollectFixture {
    static final List<String> HOOKS = List.of("blocks.1.hook_resid_post", "blocks.2.mlp.hook_post");
    static final int CONTEXT = 64;

    private CollectFixture() {}

    static String model() {
        return SharedModels.path("stories260K").resolve("stories260K.bin").toString();
    }

    /** The first {@code docs} lines of brown.jsonl as a dataset file in {@code dir}. */
    static Path dataset(Path dir, int docs) throws IOException {
        Path brown = SharedModels.data("brown.jsonl");
        Path out = dir.resolve("brown-" + docs + ".jsonl");
        try (var lines = Files.lines(brown)) {
            Files.write(out, lines.limit(docs).toList());
        }
        return out;
    }

    static Collection collection(Path dataset, Path out, long maxTokens, long shardBytes) {
        return new Collection(dataset, "text", HOOKS, CONTEXT, out, maxTokens, DType.F32, 4, shardBytes);
    }
}
