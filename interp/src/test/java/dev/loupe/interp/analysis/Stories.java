package dev.loupe.interp.analysis;

import dev.loupe.model.LoadedModel;

/** The analysis tests' prompts on the shared stories260K model ({@link dev.loupe.interp.Stories}). */
final class Stories {
    static final String CLEAN = "Once upon a time, there was a girl named Lily. She liked to play. One day,";
    static final String CORRUPTED = "Once upon a time, there was a boy named Tim. He liked to play. One day,";
    private Stories() {}

    static LoadedModel model() {
        return dev.loupe.interp.Stories.load();
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
