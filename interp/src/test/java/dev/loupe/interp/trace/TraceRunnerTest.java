package dev.loupe.interp.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.interp.Stories;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.GradientRun;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.Hooks;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Traces run in process against the library's own runs, bit for bit; hostile graphs refused naming the node. */
class TraceRunnerTest {
    static final HookedTransformer M = Stories.load().transformer();
    static final int[] A = {1, 403, 407, 261, 378, 1163 % 512, 9, 40};
    static final int[] B = {1, 55, 66, 77, 88, 99, 111, 222};

    static TraceRunner.Result run(Trace t) {
        TracePlan p = TracePlan.validate(t.graph(), M, Map.of(), h -> null, TraceLimits.DEFAULT);
        return TraceRunner.run(M, p, System.nanoTime() + 60_000_000_000L, 1L << 30);
    }

    @Test
    void readsEqualTheCacheAndRowsShareAPass() {
        Trace t = Trace.of(A, B);
        t.save("a", t.hook("blocks.2.hook_resid_post", 0));
        t.save("b", t.hook("blocks.2.hook_resid_post", 1));
        t.save("la", t.hook("logits", 0).index(0, -1));
        TraceRunner.Result r = run(t);
        assertEquals(2, r.batchRows());
        for (int[] ids : List.of(A, B)) {
            ActivationCache c = new ActivationCache();
            Tensor logits = M.runWithCache(new int[][] {ids}, List.of("blocks.2.hook_resid_post"), c);
            assertArrayEquals(c.get("blocks.2.hook_resid_post").data(), r.saved().get(ids == A ? "a" : "b").tensor().data());
            if (ids == A) assertArrayEquals(Ops.lastPosition(logits).data(), r.saved().get("la").tensor().data());
        }
    }

    @Test
    void writesEqualAHookEdit() {
        Trace t = Trace.of(A);
        Trace.Value x = t.hook("blocks.1.hook_resid_post");
        t.write("blocks.1.hook_resid_post", 0, x.indexPut(x.index(Trace.ALL, -1).mul(3f), Trace.ALL, -1));
        t.save("logits", t.hook("logits"));
        Hooks h = Hooks.builder(M.hooks()).add("blocks.1.hook_resid_post", (a, ctx) -> {
            Tensor y = a.copy();
            int d = a.size(2), off = (a.size(1) - 1) * d;
            for (int i = 0; i < d; i++) y.data()[off + i] = a.data()[off + i] * 3f;
            return y;
        }).build();
        Tensor expected = M.forward(new int[][] {A}, h, null, ForwardOptions.FULL);
        assertArrayEquals(expected.data(), run(t).saved().get("logits").tensor().data());
    }

    @Test
    void gradientsEqualGradientRun() {
        Trace t = Trace.of(A);
        Trace.Value logits = t.hook("logits");
        t.backward(logits.index(0, -1, 17).sub(logits.index(0, -1, 23)));
        t.save("g", t.grad("blocks.0.hook_resid_pre", 0));
        float[] w = new float[A.length * M.config().dVocab()];
        w[(A.length - 1) * M.config().dVocab() + 17] = 1;
        w[(A.length - 1) * M.config().dVocab() + 23] = -1;
        Tensor wt = Tensor.of(w, 1, A.length, M.config().dVocab());
        GradientRun g = GradientRun.of(M, new int[][] {A}, List.of("blocks.0.hook_resid_pre"), l -> Ops.sum(Ops.mul(l, wt)));
        assertArrayEquals(g.gradients().get("blocks.0.hook_resid_pre").data(), run(t).saved().get("g").tensor().data());
    }

    /** One user's trace: an edit of its own at the last position, the logits, and a gradient from a logit difference. */
    static Trace user(int[] ids, float scale, boolean backward) {
        Trace t = Trace.of(ids);
        Trace.Value x = t.hook("blocks.2.hook_resid_post");
        t.write("blocks.2.hook_resid_post", 0, x.indexPut(x.index(Trace.ALL, -1).mul(scale), Trace.ALL, -1));
        Trace.Value logits = t.hook("logits");
        t.save("logits", logits);
        if (backward) {
            t.backward(logits.index(0, -1, 17).sub(logits.index(0, -1, 23)));
            t.save("grad", t.grad("blocks.1.hook_resid_pre", 0));
        }
        return t;
    }

    @Test
    void tracesOfDifferentUsersShareAPassWithTheBitsTheyGetAlone() {
        for (boolean backward : new boolean[] {false, true}) {
            int[][] inputs = {A, B, {1, 9, 8, 7, 6, 5, 4, 3}};
            List<TracePlan> plans = new java.util.ArrayList<>();
            for (int i = 0; i < inputs.length; i++) {
                plans.add(TracePlan.validate(user(inputs[i], 1f + i, backward).graph(), M, Map.of(), h -> null, TraceLimits.DEFAULT));
            }
            for (TracePlan p : plans) assertTrue(TraceRunner.canShare(plans.getFirst(), p));
            List<TraceRunner.Result> together = TraceRunner.runTogether(M, plans, System.nanoTime() + 60_000_000_000L, 1L << 30);
            for (int i = 0; i < plans.size(); i++) {
                TraceRunner.Result alone = TraceRunner.run(M, plans.get(i), System.nanoTime() + 60_000_000_000L, 1L << 30);
                assertEquals(3, together.get(i).batchRows());
                for (String k : alone.saved().keySet()) {
                    assertArrayEquals(alone.saved().get(k).tensor().data(), together.get(i).saved().get(k).tensor().data(), k + " of trace " + i + (backward ? " with backward" : ""));
                }
            }
        }
    }

    static String refused(String nodes) {
        String json = "{\"version\": 1, \"invokes\": [{\"tokens\": [1, 2, 3, 4, 5]}], \"nodes\": " + nodes + "}";
        TraceException e = assertThrows(TraceException.class, () -> TracePlan.validate(TraceGraph.parse(json, 100_000), M, Map.of(), h -> null, TraceLimits.DEFAULT));
        return e.getMessage();
    }

    @Test
    void hostileGraphsAreRefusedNamingTheNode() {
        String hook = "{\"op\": \"hook\", \"hook\": \"blocks.0.hook_resid_post\", \"line\": \"cell 2, line 1\"}";
        assertTrue(refused("[" + hook + ", {\"op\": \"add\", \"in\": [2, 1]}, {\"op\": \"neg\", \"in\": [1]}]").startsWith("node 1: input 2 is not an earlier node"));
        assertTrue(refused("[" + hook + ", {\"op\": \"exec\", \"in\": [0]}]").startsWith("node 1: op 'exec' is not on the list"));
        assertTrue(refused("[{\"op\": \"full\", \"shape\": [1000000, 1000000], \"value\": 0}]").startsWith("node 0: the result would have shape [1000000, 1000000]"));
        assertTrue(refused("[" + hook + ", {\"op\": \"full\", \"shape\": [3, 64], \"value\": 1}, {\"op\": \"add\", \"in\": [0, 1]}]").startsWith("node 2: shapes [1, 5, 64] and [3, 64] do not broadcast"));
        assertTrue(refused("[{\"op\": \"hook\", \"hook\": \"blocks.9.hook_resid_post\", \"line\": \"cell 2, line 1\"}]").startsWith("node 0 (cell 2, line 1): unknown hook 'blocks.9.hook_resid_post'"));
        StringBuilder many = new StringBuilder("{\"version\": 1, \"invokes\": [{\"tokens\": [1, 2, 3, 4, 5]}], \"nodes\": [" + hook);
        for (int i = 1; i < 1_000_000; i++) many.append(",{\"op\":\"neg\",\"in\":[").append(i - 1).append("]}");
        TraceException e = assertThrows(TraceException.class, () -> TraceGraph.parse(many + "]}", 100_000));
        assertTrue(e.getMessage().startsWith("node 100000: the graph has more than 100000 nodes"), e.getMessage());
    }
}
