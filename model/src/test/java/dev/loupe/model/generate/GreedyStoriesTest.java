package dev.loupe.model.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.Json;
import dev.loupe.model.hooks.Hooks;
import java.util.OptionalInt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** stories260K greedy from BOS reproduces llama2.c's published 200 tokens, from both checkpoint formats. */
class GreedyStoriesTest {
    @ParameterizedTest
    @ValueSource(strings = {"stories260K/stories260K.bin", "stories260K-hf"})
    void greedy200FromBosMatchesLlama2c(String source) throws Exception {
        int[] expected = Json.MAPPER.readValue(SharedModels.path("stories260K/expected-greedy-200.ids.json").toFile(), int[].class);
        HookedTransformer model = SharedModels.load(source);
        int[][] out = new Generator(model).generate(new int[][] {{1}}, 200, Sampling.GREEDY, OptionalInt.empty(),
                Hooks.none(model.hooks()), null);
        int[] withBos = new int[out[0].length + 1];
        withBos[0] = 1;
        System.arraycopy(out[0], 0, withBos, 1, out[0].length);
        assertArrayEquals(expected, withBos);
    }
}
