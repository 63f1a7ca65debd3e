package dev.loupe.sae;

import dev.loupe.activations.Collection;
import dev.loupe.activations.HookSelection;
import dev.loupe.activations.Shuffler;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.DType;
import dev.loupe.sae.transcoder.TranscoderHooks;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test fixture (also for the circuits module): the pretrained stories260K, a collected and shuffled store of its paired
 * MLP inputs and outputs at all five layers (32k tokens of Brown documents 0–59), TopK transcoders trained from it,
 * and held-out text (documents 450–499).
 */
public final class StoriesTranscoders {
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    private StoriesTranscoders() {}

    public static LoadedModel model() throws Exception {
        return ModelLoader.load(SharedModels.path("stories260K").resolve("stories260K.bin").toString(), null);
    }

    /** Collects and shuffles the paired store into {@code dir}/shuffled; skips the test when Brown is absent. */
    public static Path pairedStore(LoadedModel model, Path dir) throws Exception {
        Path brown = SharedModels.data("brown.jsonl");
        Path docs = dir.resolve("brown-60.jsonl");
        try (var lines = Files.lines(brown)) {
            Files.write(docs, lines.limit(60).toList());
        }
        Path collected = dir.resolve("collected"), store = dir.resolve("shuffled");
        new Collection(docs, "text", HookSelection.mlpPairs("all", 5), 128, collected, 1 << 15, DType.F32, 8, 8L << 20).run(model, QUIET);
        new Shuffler(collected, store, 64L << 20, 5, QUIET).run();
        return store;
    }

    public static TranscoderSpec topk(String kind, int[] layers, int width, int k) {
        return new TranscoderSpec(kind, "topk", layers, 64, width, k, TranscoderHooks.MLP, "stories260K");
    }

    /** Trains from the store, batches of 512 rows. */
    public static TranscoderWeights train(Path store, TranscoderSpec spec, int steps, double lr) throws Exception {
        TrainOptions.Builder o = TrainOptions.builder(steps);
        o.batchSize = 512;
        o.lr = lr;
        o.deadAfterTokens = 100_000;
        try (StoreSource src = new StoreSource(store, spec.rowHooks())) {
            return new TranscoderTrainer(spec, o.build(), src).train();
        }
    }

    /** Held-out Brown documents 450–499 in contexts of 128. */
    public static TextContexts heldOut() throws Exception {
        return StoriesTopKTest.texts(450, 50, 128);
    }
}
