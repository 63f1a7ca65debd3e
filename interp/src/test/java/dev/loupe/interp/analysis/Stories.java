package dev.loupe.interp.analysis;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The pretrained stories260K model with its tokenizer, loaded once for the analysis tests (skips when absent). */
final class Stories {
    static final String CLEAN = "Once upon a time, there was a girl named Lily. She liked to play. One day,";
    static final String CORRUPTED = "Once upon a time, there was a boy named Tim. He liked to play. One day,";
    private static LoadedModel model;

    private Stories() {}

    static synchronized LoadedModel model() {
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

    /** The clean/corrupted pair the patching tests use: which name the story continues with, Lily or Tim. */
    static PatchingProblem namesProblem() {
        LoadedModel m = model();
        int lily = single(m, "Lily"), tim = single(m, "Tim");
        return new PatchingProblem(m.tokens(CLEAN), m.tokens(CORRUPTED), new LogitDifference(lily, tim));
    }

    static int single(LoadedModel m, String word) {
        int[] ids = m.requireTokenizer().encode(word);
        if (ids.length != 1) throw new IllegalStateException(word + " is not one token: " + java.util.Arrays.toString(ids));
        return ids[0];
    }
}
