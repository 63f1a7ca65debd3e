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
        assertArrayEquals(free.denseAdjacency(), g.denseAdjacency(), 0f); // every entry, exactly
        MemoryPlan plan = MemoryPlan.of(cfg, ids.length, active, MemoryPlan.widest(tc), Integer.MAX_VALUE, logits, 2);
        assertTrue(plan.total() <= budget);
        assertTrue(plan.graph() >= 4L * g.targetRows().length, "the plan covers the adjacency rows it holds");
        System.out.printf("bounded at %d bytes: batch 2, %d nodes, plan %s%n", budget, g.nodes(), plan);
    }

    @Test
    void aLongPromptStaysUnderASmallBudget() throws Exception {
        HookedTransformer model = SharedModels.load("gpt2-tiny-random");
        Transcoders tc = CircuitsTinyReferenceTest.set("plt-skip");
        TransformerConfig cfg = model.config();
        int pos = cfg.nCtx(), nodes = 24;
        java.util.Random rnd = new java.util.Random(7);
        int[] ids = new int[pos];
        ids[0] = 50256;
        for (int i = 1; i < pos; i++) ids[i] = rnd.nextInt(50000);
        LocalReplacementModel m = LocalReplacementModel.of(model, tc, ids);
        int active = Attribution.of(m).features().size();
        long budget = 4L << 20; // 4 MiB beyond the weights
        AttributionOptions opt = AttributionOptions.DEFAULTS.withMaxFeatureNodes(nodes).withMaxMemory(budget);
        int batch = Attribution.batchSize(cfg, tc, pos, active, opt);
        MemoryPlan plan = MemoryPlan.of(cfg, pos, active, MemoryPlan.widest(tc), nodes, 10, batch);
        AttributionGraph g = Attribution.graph(model, tc, ids, opt);
        AttributionGraph free = Attribution.graph(model, tc, ids, AttributionOptions.DEFAULTS.withMaxFeatureNodes(nodes).withBatchSize(batch));
        assertArrayEquals(free.selectedFeatures(), g.selectedFeatures());
        assertArrayEquals(free.targetRows(), g.targetRows(), 0f);
        // what is held is what the plan counts: the queries and keys the patterns are made from, the adjacency's nonzero rows
        long patterns = m.patternBytes();
        assertTrue(patterns + 4L * cfg.nLayers() * 5 * pos * cfg.dModel() <= plan.frozen(), "patterns " + patterns + " within " + plan);
        assertTrue(patterns < 4L * cfg.nLayers() * cfg.nHeads() * pos * pos, "less than the patterns themselves");
        assertTrue(4L * g.targetRows().length <= plan.graph(), "adjacency rows within " + plan);
        assertTrue(plan.total() <= budget, plan + " within the budget");
        long dense = 4L * g.nodes() * g.nodes();
        assertTrue(dense > plan.graph(), "a dense [n, n] adjacency (" + dense + " bytes) would be over the plan's " + plan.graph());
        System.out.printf("%d tokens, %d nodes, batch %d under %d bytes: plan %s%n", pos, g.nodes(), batch, budget, plan);
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
