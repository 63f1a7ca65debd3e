package dev.loupe.server.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loupe.interp.trace.Trace;
import dev.loupe.interp.trace.TraceLimits;
import dev.loupe.interp.trace.TracePlan;
import dev.loupe.interp.trace.TraceRunner;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.server.obs.Metrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The scheduler puts traces of different users that can share a pass into one batch (each with its own edits and
 * backward), and each gets the bits it gets alone; a trace of another length waits for its own pass.
 */
class TraceBatchingTest {
    static Trace user(int[] ids, float scale) {
        Trace t = Trace.of(ids);
        Trace.Value x = t.hook("blocks.3.hook_resid_post");
        t.write("blocks.3.hook_resid_post", 0, x.mul(scale));
        Trace.Value logits = t.hook("logits");
        t.save("last", logits.index(0, -1));
        t.backward(logits.index(0, -1, 3).sub(logits.index(0, -1, 4)));
        t.save("grad", t.grad("blocks.1.hook_resid_pre", 0));
        return t;
    }

    @Test
    void usersShareOnePassBitExact() throws Exception {
        var bin = SharedModels.path("stories260K/stories260K.bin");
        HookedTransformer m = ModelLoader.load(bin.toString(), bin.resolveSibling("tok512.bin")).transformer();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        try (Scheduler s = new Scheduler(m, new Scheduler.Settings(32, 64), new Metrics())) {
            CountDownLatch hold = new CountDownLatch(1);
            s.submit(new SoloJob<>("hold", deadline, 1, () -> {
                try {
                    return hold.await(1, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, new CompletableFuture<>()));
            List<TracePlan> plans = new ArrayList<>();
            List<CompletableFuture<TraceRunner.Result>> results = new ArrayList<>();
            int[][] inputs = {{1, 20, 30, 40, 50, 60}, {1, 21, 31, 41, 51, 61}, {1, 2, 3}, {1, 22, 32, 42, 52, 62}};
            for (int i = 0; i < inputs.length; i++) {
                TracePlan p = TracePlan.validate(user(inputs[i], 1.5f + i).graph(), m, Map.of(), h -> null, TraceLimits.DEFAULT);
                CompletableFuture<TraceRunner.Result> f = new CompletableFuture<>();
                s.submit(new TraceJob("t" + i, deadline, p, 1L << 30, f));
                plans.add(p);
                results.add(f);
            }
            hold.countDown();
            for (int i = 0; i < inputs.length; i++) {
                TraceRunner.Result shared = results.get(i).get(1, TimeUnit.MINUTES);
                assertEquals(i == 2 ? 1 : 3, shared.batchRows(), "rows of the pass trace " + i + " rode in");
                TraceRunner.Result alone = TraceRunner.run(m, plans.get(i), deadline, 1L << 30);
                for (String k : alone.saved().keySet()) assertArrayEquals(alone.saved().get(k).tensor().data(), shared.saved().get(k).tensor().data(), k + " of " + i);
            }
        }
    }
}
