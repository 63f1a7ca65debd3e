package dev.loupe.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train-lm --exclude-ids}: documents left out by id, recorded in training.json, and a resume under another pattern refused. */
class ExcludeIdsTest {
    /** TinyCorpus with ids d0, d1, …. */
    private static Path corpusWithIds(Path dir, int docs) throws Exception {
        List<String> lines = new ArrayList<>();
        int i = 0;
        for (String line : Files.readAllLines(TinyCorpus.write(dir, docs))) lines.add("{\"id\": \"d" + i++ + "\", " + line.substring(1));
        return Files.write(dir.resolve("ids.jsonl"), lines);
    }

    private static TrainLm.Options options(Path data, Path out, String exclude) {
        var o = LmTrainerTest.options(data, out, false, 40 * 256, 10);
        return new TrainLm.Options(o.dataset(), o.tokenizer(), o.layers(), o.dModel(), o.heads(), o.attnOnly(), o.dMlp(), o.context(), o.tokens(),
                o.batch(), o.lr(), o.seed(), o.repeatFraction(), o.checkpointEvery(), o.out(), null, Pattern.compile(exclude));
    }

    @Test
    void leavesOutMatchingIdsAndRejectsPatternsThatSelectNothingOrEverything(@TempDir Path dir) throws Exception {
        Path data = corpusWithIds(dir, 30);
        List<String> all = Documents.read(data), kept = Documents.read(data, Pattern.compile("d1.")), held = Documents.byId(data, Pattern.compile("d1."), true);
        assertEquals(20, kept.size());
        assertEquals(all.subList(10, 20), held);
        assertEquals(all.subList(0, 10), kept.subList(0, 10));

        var none = assertThrows(IllegalArgumentException.class, () -> Documents.read(data, Pattern.compile("x.*")));
        assertTrue(none.getMessage().contains("ids.jsonl") && none.getMessage().contains("matches no document id"), none.getMessage());
        var every = assertThrows(IllegalArgumentException.class, () -> Documents.read(data, Pattern.compile("d.*")));
        assertTrue(every.getMessage().contains("matches every document id"), every.getMessage());
        Path plain = Files.writeString(dir.resolve("plain.txt"), "some text");
        var notJson = assertThrows(IllegalArgumentException.class, () -> Documents.read(plain, Pattern.compile("d1")));
        assertTrue(notJson.getMessage().contains("plain.txt") && notJson.getMessage().contains("\"id\""), notJson.getMessage());
    }

    @Test
    void resumeUnderAnotherPatternIsRefusedAndThePatternIsRecorded(@TempDir Path dir) throws Exception {
        Path data = corpusWithIds(dir, 100), out = dir.resolve("out");
        class Interrupt extends RuntimeException {}
        assertThrows(Interrupt.class, () -> TrainLm.run(options(data, out, "d1."), "test", LmTrainerTest.QUIET, (step, total, loss, tps) -> {
            if (step == 15) throw new Interrupt();
        }));
        assertTrue(Files.exists(out.resolve(LmTrainer.CHECKPOINT)));

        var e = assertThrows(IllegalArgumentException.class, () -> TrainLm.run(options(data, out, "d2."), "test", LmTrainerTest.QUIET, null));
        assertTrue(e.getMessage().contains("without ids matching d1.") && e.getMessage().contains("without ids matching d2."), e.getMessage());

        LmTrainer.Result r = TrainLm.run(options(data, out, "d1."), "test", LmTrainerTest.QUIET, null);
        assertTrue(r.resumedFrom() > 0, "resumed from step " + r.resumedFrom());
        assertTrue(Files.readString(out.resolve(LmTrainer.RECORD)).contains("ids.jsonl without ids matching d1. (90 documents"));
    }
}
