package dev.loupe.spark;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ConcurrentHashMap;

/** Models loaded once per executor JVM and shared by its tasks (a HookedTransformer is stateless between calls). */
final class ExecutorModels {
    private static final ConcurrentHashMap<String, LoadedModel> MODELS = new ConcurrentHashMap<>();

    private ExecutorModels() {}

    static LoadedModel get(String src) {
        return MODELS.computeIfAbsent(src, s -> {
            try {
                return ModelLoader.load(s, null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
