package dev.loupe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.model.hooks.Site;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training a tiny model reduces the loss, and the folder it writes reloads in Loupe with identical logits. */
class LmTrainerTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    static TrainLm.Options options(Path data, Path out, boolean attnOnly, long tokens, int checkpointEvery) {
        return new TrainLm.Options(data, "train:300", 1, 32, 2, attnOnly, 64, 32, tokens, 8, 3e-3, 1, 0, checkpointEvery, out);
    }

    @Test
    void tinyModelLearnsTheGrammarAndReloadsBitExactly(@TempDir Path dir) throws Exception {
        Path data = TinyCorpus.write(dir, 200);
        Path out = dir.resolve("model");
        LmTrainer.Result r = TrainLm.run(options(data, out, false, 300 * 256, 1000), "test", QUIET, null);
        double first = r.log().getFirst().loss(), last = r.log().getLast().loss();
        // ln(300) = 5.7 at initialisation; the grammar has about 2.6 bits of choice per 4-5 tokens
        assertTrue(first > 4.5, "initial loss " + first);
        assertTrue(last < 1.2, "after 300 steps the loss should be below 1.2, got " + last);
        assertReloadsBitExactly(r, out);
        assertFalse(Files.exists(out.resolve(LmTrainer.CHECKPOINT)), "the checkpoint is removed once the model is written");
        assertNull(TrainLm.run(options(data, out, false, 300 * 256, 1000), "test", QUIET, null), "a finished folder is left alone");
    }

    @Test
    void attentionOnlyModelHasNoMlpHooksAndReloadsBitExactly(@TempDir Path dir) throws Exception {
        Path data = TinyCorpus.write(dir, 50);
        Path out = dir.resolve("model");
        LmTrainer.Result r = TrainLm.run(options(data, out, true, 20 * 256, 1000), "test", QUIET, null);
        LoadedModel m = assertReloadsBitExactly(r, out);
        assertTrue(m.transformer().config().attnOnly());
        for (HookSpec s : m.transformer().hooks().specs()) {
            assertFalse(s.site() == Site.LN2 || s.site() == Site.RESID_MID || s.site().name().startsWith("MLP"), s.name());
        }
        String config = Files.readString(out.resolve("config.json"));
        assertTrue(config.contains("\"n_inner\" : 1") && config.contains("\"loupe_attn_only\" : true"), config);
    }

    private static LoadedModel assertReloadsBitExactly(LmTrainer.Result r, Path out) throws Exception {
        LoadedModel m = ModelLoader.load(out.toString(), null);
        int[][] ids = {m.tokenizer().encode("The cat sees the garden. My friend helps a dog.")};
        assertArrayEquals(r.model().forward(ids).data(), m.transformer().forward(ids).data());
        assertEquals(r.model().config(), m.transformer().config());
        return m;
    }
}
