package dev.loupe.interp.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.interp.analysis.HeadAblation.Head;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.LoadedModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class HeadDetectionTest {
    static final String STORY = Stories.CLEAN + " She went to the park with her mom. They saw a big dog and a little cat.";

    @Test
    void findsThePreviousTokenHeadsOfStories() {
        LoadedModel m = Stories.model();
        Tensor prev = HeadDetection.scores(m.transformer(), new int[][] {m.tokens(STORY)}, HeadDetector.PREVIOUS);
        List<Head> top = HeadAblation.top(prev, 3);
        double median = HeadDetection.median(prev);
        System.out.printf("stories260K previous-token heads %s scores %.2f %.2f %.2f, median %.2f%n", top,
                prev.get(top.get(0).layer(), top.get(0).head()), prev.get(top.get(1).layer(), top.get(1).head()),
                prev.get(top.get(2).layer(), top.get(2).head()), median);
        for (Head h : top) assertTrue(prev.get(h.layer(), h.head()) > 2 * median, h + " vs median " + median);
    }

    /**
     * stories260K shows no induction: its loss on the second copy of a repeated sequence is no lower than on
     * the first, and no head's induction score is far from chance. Recorded here so a change to that is seen.
     */
    @Test
    void storiesHasNoInductionHeads() {
        LoadedModel m = Stories.model();
        HookedTransformer model = m.transformer();
        int n = 20;
        int[][] rep = HeadDetection.repeatedRandom(model.config().dVocab(), n, 8, 1, m.tokenizer().bosId(), 0, 1, 2);
        Tensor ind = HeadDetection.scores(model, rep, HeadDetector.INDUCTION);
        double first = HeadAblation.loss(model, rep, List.of(), 2), second = HeadAblation.loss(model, rep, List.of(), n + 2);
        Head best = HeadAblation.top(ind, 1).get(0);
        System.out.printf("stories260K induction: best head %s score %.3f (chance about 1/%d); loss first copy %.2f, second copy %.2f%n",
                best, ind.get(best.layer(), best.head()), n + 1, first, second);
        assertTrue(ind.get(best.layer(), best.head()) < 0.2);
    }

    /**
     * Loupe's own default model (trained by {@code loupe train-lm}, models/loupe-brown-2l) has a real induction
     * circuit: the detector finds it, and zero-ablating the found induction head hurts the second copy of
     * repeated random sequences more than ablating any other head except the previous-token head that feeds it
     * (ablating that one breaks the same circuit).
     */
    @Test
    void findsAndConfirmsTheInductionHeadOfTheDefaultModel() throws Exception {
        java.nio.file.Path dir = java.nio.file.Path.of("models/loupe-brown-2l");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(dir), "default model absent");
        LoadedModel m = dev.loupe.model.ModelLoader.load(dir.toString(), null);
        HookedTransformer model = m.transformer();
        int n = 30;
        int[][] rep = HeadDetection.repeatedRandom(model.config().dVocab(), n, 16, 3, OptionalInt.empty(), model.config().dVocab() - 1);
        Tensor ind = HeadDetection.scores(model, rep, HeadDetector.INDUCTION);
        Tensor prev = HeadDetection.scores(model, rep, HeadDetector.PREVIOUS);
        List<Head> found = HeadAblation.top(ind, 1);
        Head head = found.get(0);
        System.out.printf("default model: induction head %s score %.3f (median %.3f); previous-token head %s score %.3f%n", head,
                ind.get(head.layer(), head.head()), HeadDetection.median(ind), HeadAblation.top(prev, 1).get(0),
                prev.get(HeadAblation.top(prev, 1).get(0).layer(), HeadAblation.top(prev, 1).get(0).head()));
        assertTrue(ind.get(head.layer(), head.head()) > 0.4, "induction score " + ind.get(head.layer(), head.head()));
        double base = HeadAblation.loss(model, rep, List.of(), n + 1);
        double inductionAblated = HeadAblation.loss(model, rep, found, n + 1);
        System.out.printf("default model: second-copy loss %.3f, with %s ablated %.3f%n", base, head, inductionAblated);
        Head previous = HeadAblation.top(prev, 1).get(0);
        int compared = 0;
        for (int l = 0; l < model.config().nLayers(); l++) {
            for (int h = 0; h < model.config().nHeads(); h++) {
                Head other = new Head(l, h);
                if (other.equals(head) || other.equals(previous)) continue;
                double loss = HeadAblation.loss(model, rep, List.of(other), n + 1);
                System.out.printf("default model: head %s (induction %.3f, previous %.3f) ablated %.3f%n", other, ind.get(l, h),
                        prev.get(l, h), loss);
                assertTrue(inductionAblated > loss, other + ": " + loss + " vs induction head ablated " + inductionAblated);
                compared++;
            }
        }
        assertTrue(compared > 0, "no other heads to compare");
    }

    @Test
    void findsAndConfirmsTheInductionCircuitOfAHandBuiltModel() {
        HookedTransformer model = ToyInductionModel.build();
        int n = 12;
        int[][] rep = HeadDetection.repeatedRandom(ToyInductionModel.VOCAB, n, 16, 7, OptionalInt.empty());
        Tensor ind = HeadDetection.scores(model, rep, HeadDetector.INDUCTION);
        Tensor prev = HeadDetection.scores(model, rep, HeadDetector.PREVIOUS);
        assertEquals(List.of(new Head(1, 0)), HeadAblation.top(ind, 1));
        assertEquals(List.of(new Head(0, 0)), HeadAblation.top(prev, 1));
        assertTrue(ind.get(1, 0) > 0.8 && prev.get(0, 0) > 0.9, "induction " + ind.get(1, 0) + ", previous " + prev.get(0, 0));

        List<Head> found = HeadAblation.top(ind, 1);
        List<Head> others = new ArrayList<>();
        for (int l = 0; l < 2; l++) {
            for (int h = 0; h < ToyInductionModel.HEADS; h++) {
                if (ind.get(l, h) < 2 * HeadDetection.median(ind) && prev.get(l, h) < 2 * HeadDetection.median(prev)) others.add(new Head(l, h));
            }
        }
        double base = HeadAblation.loss(model, rep, List.of(), n + 1);
        double inductionAblated = HeadAblation.loss(model, rep, found, n + 1);
        System.out.printf("toy: second-copy loss %.3f, induction heads %s ablated %.3f%n", base, found, inductionAblated);
        for (Head other : others) {
            double l = HeadAblation.loss(model, rep, List.of(other), n + 1);
            System.out.printf("toy: head %s ablated %.3f%n", other, l);
            assertTrue(inductionAblated - base > 10 * Math.max(1e-3, l - base), other + ": " + l);
        }
    }

    @Test
    void repeatedRandomIsSeededAndRepeats() {
        int[][] a = HeadDetection.repeatedRandom(50, 5, 3, 42, OptionalInt.of(1), 0, 1, 2);
        assertTrue(Arrays.deepEquals(a, HeadDetection.repeatedRandom(50, 5, 3, 42, OptionalInt.of(1), 0, 1, 2)));
        for (int[] row : a) {
            assertEquals(11, row.length);
            assertEquals(1, row[0]);
            for (int i = 1; i <= 5; i++) {
                assertEquals(row[i], row[i + 5]);
                assertTrue(row[i] > 2);
            }
        }
    }
}
