package dev.loupe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loupe's bundled default model (models/loupe-brown-2l-mlp: 2 layers with MLPs, trained by train-lm on the Brown
 * corpus from the attention-only models/loupe-brown-2l) has induction heads, has MLPs, reloads exactly, and its
 * tokenizer round-trips text.
 */
class DefaultModelTest {
    static final Path MODEL = Path.of("models/loupe-brown-2l-mlp");
    /** Mean attention from a repeated token to the token after its first occurrence, for the best head. */
    static final double INDUCTION_THRESHOLD = 0.4;

    private static LoadedModel load() throws Exception {
        assertTrue(Files.isDirectory(MODEL), "the bundled model " + MODEL.toAbsolutePath() + " is missing");
        return ModelLoader.load(MODEL.toString(), null);
    }

    @Test
    void hasInductionHeadsAndUsesThemInContext() throws Exception {
        LoadedModel m = load();
        int eot = m.tokenizer().eosId().orElseThrow();
        int half = Math.min(50, (m.transformer().config().nCtx() - 1) / 2);
        Induction.Result r = Induction.measure(m.transformer(), eot, half, 8, 1);
        System.out.printf("default model: best induction score %.3f; scores %s; loss first half %.3f, second half %.3f%n", r.best(),
                java.util.Arrays.deepToString(r.scores()), r.firstHalfLoss(), r.secondHalfLoss());
        assertTrue(r.best() > INDUCTION_THRESHOLD, "no head has an induction score above " + INDUCTION_THRESHOLD + ": "
                + java.util.Arrays.deepToString(r.scores()));
        assertTrue(r.secondHalfLoss() < 0.5 * r.firstHalfLoss(), "in-context loss on the repeat " + r.secondHalfLoss()
                + " should be under half of that on the first copy " + r.firstHalfLoss());
    }

    @Test
    void rewrittenFolderReloadsWithIdenticalLogits(@TempDir Path dir) throws Exception {
        LoadedModel m = load();
        assertFalse(m.transformer().config().attnOnly(), "the default model has MLPs");
        assertEquals(512, m.transformer().config().dMlp());
        Gpt2Folder.write(m.transformer(), m.tokenizer().eosId().orElseThrow(), dir);
        LoadedModel again = ModelLoader.load(dir.toString(), MODEL.resolve("tokenizer.json"));
        int[][] ids = {m.tokens("The jury said it did find that many of Georgia's registration and election laws are outmoded.")};
        assertArrayEquals(m.transformer().forward(ids).data(), again.transformer().forward(ids).data());
        assertArrayEquals(Files.readAllBytes(MODEL.resolve("model.safetensors")), Files.readAllBytes(dir.resolve("model.safetensors")));
    }

    @Test
    void tokenizerRoundTripsBrownDocuments() throws Exception {
        LoadedModel m = load();
        Path brown = SharedModels.ROOT.resolveSibling("data").resolve("brown.jsonl");
        List<String> docs = Files.exists(brown) ? Documents.read(brown) : List.of("A sample text, with \"quotes\" and numbers 1961.\n\nÜber café");
        for (String doc : docs) assertEquals(doc, m.tokenizer().decode(m.tokenizer().encode(doc)));
    }
}
