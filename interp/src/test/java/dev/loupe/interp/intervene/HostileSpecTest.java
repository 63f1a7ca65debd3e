package dev.loupe.interp.intervene;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.interp.Stories;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.hooks.Hooks;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Intervention specs beyond JSON's limits, with non-finite numbers, overflowing edits or repeats are refused or cheap. */
class HostileSpecTest {
    private static void assertNames(Throwable e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' lacks '" + p + "'");
    }

    @Test
    void deepNestingAndLongNumbersAreSpecErrorsNotNullPointers() {
        assertNames(assertThrows(SpecException.class, () -> InterventionSpec.parse("[".repeat(5000) + "]".repeat(5000))), "not valid JSON", "depth");
        String digits = "{\"version\": 1, \"interventions\": [{\"hook\": \"x\", \"op\": \"add\", \"vector\": [" + "9".repeat(5000) + "]}]}";
        assertNames(assertThrows(SpecException.class, () -> InterventionSpec.parse(digits)), "not valid JSON", "length");
    }

    @Test
    void numbersThatAreNotFiniteFloatsAreRefusedNamingTheField() {
        String big = "{\"version\": 1, \"interventions\": [{\"hook\": \"x\", \"op\": \"add\", \"vector\": [1, 1e39]}]}";
        assertNames(assertThrows(SpecException.class, () -> InterventionSpec.parse(big)), "interventions[0].vector[1]", "finite");
        String scale = "{\"version\": 1, \"interventions\": [{\"hook\": \"x\", \"op\": \"add\", \"vector\": [1], \"scale\": 1e300}]}";
        assertNames(assertThrows(SpecException.class, () -> InterventionSpec.parse(scale)), "interventions[0].scale");
        String set = "{\"version\": 1, \"interventions\": [{\"hook\": \"x\", \"op\": \"set\", \"value\": -1e40}]}";
        assertNames(assertThrows(SpecException.class, () -> InterventionSpec.parse(set)), "interventions[0].value");
    }

    @Test
    void anEditThatOverflowsToInfinityIsRefusedNamingTheEntry() {
        LoadedModel loaded = Stories.load();
        HookedTransformer model = loaded.transformer();
        int d = model.config().dModel();
        StringBuilder v = new StringBuilder();
        for (int i = 0; i < d; i++) v.append(i == 0 ? "" : ",").append("3e38");
        String spec = "{\"version\": 1, \"interventions\": [{\"hook\": \"blocks.0.hook_resid_post\", \"op\": \"add\", \"vector\": [" + v
                + "], \"scale\": 2}]}";
        CompiledInterventions c = Interventions.compile(InterventionSpec.parse(spec), model, TensorResolver.EMPTY, null);
        Hooks hooks = c.addTo(Hooks.builder(model.hooks())).build();
        var e = assertThrows(SpecException.class, () -> model.forward(new int[][] {{1, 2, 3}}, hooks, null, ForwardOptions.FULL));
        assertNames(e, "interventions[0]", "Infinity", "overflow");
    }

    @Test
    void repeatedPositionsAndHeadsCostTheirDistinctValues() {
        LoadedModel loaded = Stories.load();
        HookedTransformer model = loaded.transformer();
        int[] many = new int[2_000_000];
        for (int i = 0; i < many.length; i++) many[i] = i % 2;
        int[] heads = new int[2_000_000];
        Scope scope = new Scope(new Positions.At(many), heads, null);
        assertArrayEquals(new int[] {0, 1}, ((Positions.At) scope.positions()).positions());
        assertArrayEquals(new int[] {0}, scope.heads());
        var iv = new Intervention("blocks.0.attn.hook_z", new Operation.Zero(), scope);
        CompiledInterventions c = Interventions.compile(InterventionSpec.of(iv), model, TensorResolver.EMPTY, null);
        Tensor out = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> model.forward(new int[][] {{1, 2, 3, 4}}, c.addTo(Hooks.builder(model.hooks())).build(), null, ForwardOptions.FULL));
        assertTrue(Float.isFinite(out.data()[0]));
    }

    @Test
    void positionsPastTheContextAreRefused() {
        HookedTransformer model = Stories.load().transformer();
        var iv = new Intervention("blocks.0.hook_resid_post", new Operation.Zero(), new Scope(new Positions.At(new int[] {1, 2_000_000_000}), null, null));
        var e = assertThrows(SpecException.class, () -> Interventions.compile(InterventionSpec.of(iv), model, TensorResolver.EMPTY, null));
        assertNames(e, "interventions[0].positions", "2000000000", "context");
    }
}
