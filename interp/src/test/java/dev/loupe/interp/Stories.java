package dev.loupe.interp;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The pretrained stories260K model (Llama, GQA: 8 heads, 4 KV heads, d_model 64, 5 layers) with its tokenizer. */
public final class Stories {
    private static LoadedModel model;

    private Stories() {}

    /** Loaded once per test JVM; skips the test when ../shared is absent. */
    public static synchronized LoadedModel load() {
        var path = SharedModels.path("stories260K/stories260K.bin");
        if (model == null) {
            try {
                model = ModelLoader.load(path.toString(), null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return model;
    }
}
