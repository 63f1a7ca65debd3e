package dev.loupe.circuits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import dev.loupe.model.TransformerConfig;
import dev.loupe.sae.transcoder.Transcoders;
import org.junit.jupiter.api.Test;

/** {@code --max-memory}: a bounded graph equals the unbounded one bit for bit, and a budget too small is refused with the figure. */
class AttributionMemoryTest {

    @Test
    void boundedGraphEqualsTheUnboundedOneAndFitsItsBudget() throws Exception {
        HookedTransformer model = SharedModels.load("gpt2-tiny-random");
        Transcoders tc = CircuitsTinyReferenceTest.set("plt-skip");
        int[] ids = CircuitsTinyReferenceTest.promptIds();
        TransformerConfig cfg = model.config();
        AttributionGraph free = Attribution.graph(model, tc, ids, AttributionOptions.DEFAULTS);
        int active = free.activeFeature().length, logits = free.logitTargets().length;
        // a budget that leaves room for two copies per pass, not three
        long budget = MemoryPlan.of(cfg, ids.length, active, MemoryPlan.widest(tc), Integer.MAX_VALUE, logits, 2).total();
        AttributionOptions bounded = AttributionOptions.DEFAULTS.withMaxMemory(budget);
        assertEquals(2, Attribution.batchSize(cfg, tc, ids.length, active, bounded));
        AttributionGraph g = Attribution.graph(model, tc, ids, bounded);
        assertArrayEquals(free.selectedFeatures(), g.selectedFeatures());
        assertArrayEquals(free.logitTargets(), g.logitTargets());
        assertArrayEquals(free.adjacency(), g.adjacency(), 0f); // every entry, exactly
        MemoryPlan plan = MemoryPlan.of(cfg, ids.length, active, MemoryPlan.widest(tc), Integer.MAX_VALUE, logits, 2);
        assertTrue(plan.total() <= budget);
        assertTrue(plan.graph() >= 4L * g.adjacency().length, "the plan covers the adjacency it holds");
        System.out.printf("bounded at %d bytes: batch 2, %d nodes, plan %s%n", budget, g.nodes(), plan);
    }

    @Test
    void tooSmallABudgetIsRefusedWithTheFigure() throws Exception {
        HookedTransformer model = SharedModels.load("gpt2-tiny-random");
        Transcoders tc = CircuitsTinyReferenceTest.set("plt-skip");
        int[] ids = CircuitsTinyReferenceTest.promptIds();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Attribution.graph(model, tc, ids, AttributionOptions.DEFAULTS.withMaxMemory(100_000)));
        assertTrue(e.getMessage().contains("needs about") && e.getMessage().contains("over --max-memory 0.1 MiB"), e.getMessage());
    }
}
