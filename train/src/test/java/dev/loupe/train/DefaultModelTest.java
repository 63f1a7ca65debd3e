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
 * corpus from the attention-only models/loupe-brown-2l, then on mostly plain text with Brown's {@code c.0[12]} documents
 * held out) has induction heads, has MLPs, predicts the held-out documents better and repeats itself less than the model
 * it replaced, reloads exactly, and its tokenizer round-trips text.
 */
class DefaultModelTest {
    static final Path MODEL = Path.of("models/loupe-brown-2l-mlp");
    /** Mean attention from a repeated token to the token after its first occurrence, for the best head. */
    static final double INDUCTION_THRESHOLD = 0.4;
    /** {@link TextQuality}'s figures for the previous default (the 3 M-token loupe-brown-2l-mlp of git history). */
    static final double PREVIOUS_HELD_OUT_LOSS = 4.287, PREVIOUS_GREEDY_REP4 = 0.758;

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

    /**
     * The default model predicts held-out Brown text (documents its last training run left out) better than the model it
     * replaced did, and its greedy continuations repeat themselves less: that model scored {@value #PREVIOUS_HELD_OUT_LOSS}
     * nats/token and a greedy rep-4 of {@value #PREVIOUS_GREEDY_REP4} on the same documents and prompts, having been trained
     * on those documents too.
     */
    @Test
    void writesHeldOutTextBetterAndRepeatsLessThanItsPredecessor() throws Exception {
        TextQuality.Result r = TextQuality.measure(load(), SharedModels.data("brown.jsonl"));
        System.out.printf("default model: held-out loss %.4f over %,d tokens; rep-4 greedy %.3f, sampled %.3f; greedy \"%s%s\"%n", r.heldOutLoss(),
                r.heldOutTokens(), r.greedyRep4(), r.sampledRep4(), TextQuality.PROMPTS.getFirst(), r.greedy().getFirst());
        assertTrue(r.heldOutLoss() < PREVIOUS_HELD_OUT_LOSS, "held-out loss " + r.heldOutLoss());
        assertTrue(r.greedyRep4() < PREVIOUS_GREEDY_REP4, "greedy rep-4 " + r.greedyRep4() + ": " + r.greedy());
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
