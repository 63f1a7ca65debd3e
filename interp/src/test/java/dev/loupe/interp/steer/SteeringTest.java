package dev.loupe.interp.steer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.interp.Stories;
import dev.loupe.interp.intervene.InterventionSpec;
import dev.loupe.interp.intervene.Interventions;
import dev.loupe.interp.intervene.TensorResolver;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.generate.Generator;
import dev.loupe.model.generate.Sampling;
import dev.loupe.model.hooks.Hooks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Steering vectors built from happy/sad sentence pairs shift what the pretrained stories260K model writes. */
class SteeringTest {
    static final String HOOK = "blocks.3.hook_resid_post";
    static final List<ContrastPair> PAIRS = List.of(
            new ContrastPair("Lily was very happy.", "Lily was very sad."),
            new ContrastPair("Tom felt happy and smiled.", "Tom felt sad and cried."),
            new ContrastPair("The girl was happy to play.", "The girl was sad to play."),
            new ContrastPair("Mom was happy with the cake.", "Mom was sad with the cake."),
            new ContrastPair("The dog was happy in the park.", "The dog was sad in the park."),
            new ContrastPair("He had a happy day.", "He had a sad day."));
    static final List<String> PROMPTS = List.of("Once upon a time", "One day, a little boy", "Sue went to the park and",
            "The cat saw a bird", "Ben and his mom", "There was a big tree");

    private static SteeringVector build(LoadedModel m, SteeringBuilder.Method method, SteeringBuilder.Normalization norm) {
        return SteeringBuilder.build(m.transformer(), m::tokens, "stories260K", PAIRS,
                new SteeringBuilder.Recipe(HOOK, method, SteeringBuilder.Position.LAST, norm));
    }

    /** Mean log-probability of {@code word} over greedy continuations of every prompt, steered by {@code scale}. */
    private static double meanLogProb(LoadedModel m, SteeringVector v, float scale, int word) {
        HookedTransformer model = m.transformer();
        Hooks hooks = Interventions.compile(InterventionSpec.of(v.intervention(scale)), model, TensorResolver.EMPTY, null).hooks();
        double total = 0;
        int count = 0;
        for (String prompt : PROMPTS) {
            int[] ids = m.tokens(prompt);
            int[] out = new Generator(model).generate(new int[][] {ids}, 30, Sampling.GREEDY, OptionalInt.empty(), hooks, null)[0];
            int[] all = new int[ids.length + out.length];
            System.arraycopy(ids, 0, all, 0, ids.length);
            System.arraycopy(out, 0, all, ids.length, out.length);
            Tensor logits = model.forward(new int[][] {all}, hooks, null, ForwardOptions.FULL);
            int vocab = model.config().dVocab();
            for (int p = ids.length - 1; p < all.length; p++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int i = 0; i < vocab; i++) max = Math.max(max, logits.get(0, p, i));
                for (int i = 0; i < vocab; i++) sum += Math.exp(logits.get(0, p, i) - max);
                total += logits.get(0, p, word) - max - Math.log(sum);
                count++;
            }
        }
        return total / count;
    }

    /**
     * Greedy continuations of six prompts, steered at layer 3 with scale +2 and -2: the mean log-probability
     * of "happy" along them rises and falls against the unsteered continuations (measured: about +0.6 and
     * -1.0 nats around -14.2).
     */
    @Test
    void happyVectorShiftsGenerationsBothWays() {
        LoadedModel m = Stories.load();
        SteeringVector v = build(m, SteeringBuilder.Method.MEAN_DIFF, SteeringBuilder.Normalization.NONE);
        int happy = m.requireTokenizer().encode("happy")[0];
        double base = meanLogProb(m, v, 0f, happy), up = meanLogProb(m, v, 2f, happy), down = meanLogProb(m, v, -2f, happy);
        assertTrue(up > base + 0.3, () -> "steering +2: " + up + " vs unsteered " + base);
        assertTrue(down < base - 0.3, () -> "steering -2: " + down + " vs unsteered " + base);
    }

    @Test
    void pcaAgreesWithTheMeanDifferenceAndFilesRoundTrip(@TempDir Path dir) throws Exception {
        LoadedModel m = Stories.load();
        SteeringVector mean = build(m, SteeringBuilder.Method.MEAN_DIFF, SteeringBuilder.Normalization.UNIT);
        SteeringVector pca = build(m, SteeringBuilder.Method.PCA, SteeringBuilder.Normalization.UNIT);
        double cos = 0, norm = 0;
        for (int i = 0; i < 64; i++) {
            cos += mean.vector().get(i) * pca.vector().get(i);
            norm += pca.vector().get(i) * pca.vector().get(i);
        }
        assertEquals(1, norm, 1e-5);
        assertTrue(cos > 0, "PCA sign must agree with the mean difference; cosine " + cos);

        Path file = dir.resolve("happy.safetensors");
        pca.save(file);
        SteeringVector back = SteeringVector.load(file);
        assertArrayEquals(pca.vector().data(), back.vector().data());
        assertEquals(pca.metadata(), back.metadata());
        assertEquals(new SteeringMetadata("stories260K", m.transformer().config().architecture(), 64, HOOK, 3, "unit", "pca", "last",
                PAIRS.size(), back.metadata().loupeVersion()), back.metadata());
        assertTrue(!back.metadata().loupeVersion().isEmpty() && !back.metadata().loupeVersion().contains("$"));
        back.requireFits(m.transformer(), "happy.safetensors");
    }

    @Test
    void aVectorForAnotherModelIsRefusedClearly() {
        LoadedModel m = Stories.load();
        SteeringVector v = build(m, SteeringBuilder.Method.MEAN_DIFF, SteeringBuilder.Normalization.NONE);
        SteeringMetadata md = v.metadata();
        SteeringVector wide = new SteeringVector(Tensor.zeros(768), new SteeringMetadata("gpt2", "GPT2LMHeadModel", 768, HOOK, 3,
                md.normalization(), md.method(), md.position(), md.pairs(), md.loupeVersion()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> wide.requireFits(m.transformer(), "gpt2.safetensors"));
        assertEquals("gpt2.safetensors: built for d_model=768 (gpt2, GPT2LMHeadModel) but this model has d_model=64", e.getMessage());
        SteeringVector deep = new SteeringVector(v.vector(), new SteeringMetadata("x", "y", 64, "blocks.9.hook_resid_post", 9,
                md.normalization(), md.method(), md.position(), md.pairs(), md.loupeVersion()));
        e = assertThrows(IllegalArgumentException.class, () -> deep.requireFits(m.transformer(), "deep.safetensors"));
        assertTrue(e.getMessage().startsWith("deep.safetensors: built at hook 'blocks.9.hook_resid_post', which this model lacks; nearest: "),
                e.getMessage());
    }

    @Test
    void pairsFileErrorsNameTheLine(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("pairs.jsonl");
        Files.writeString(f, "{\"positive\": \"a\", \"negative\": \"b\"}\n\n{\"positive\": \"c\"}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ContrastPair.read(f));
        assertEquals(f + ":3: no string field 'negative' (fields: [positive])", e.getMessage());
    }
}
