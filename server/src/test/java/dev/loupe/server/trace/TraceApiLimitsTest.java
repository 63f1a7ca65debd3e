package dev.loupe.server.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.interp.trace.Trace;
import dev.loupe.interp.trace.TraceLimits;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.server.api.ModelApi;
import dev.loupe.server.batch.Scheduler;
import dev.loupe.server.batch.SoloJob;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.obs.Metrics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Per-key limits: concurrent traces beyond the limit are refused with 429 while another key still gets in. */
class TraceApiLimitsTest {
    @Test
    void aKeyRunsAtMostItsLimitOfTracesAtOnce() throws Exception {
        var bin = SharedModels.path("stories260K/stories260K.bin");
        LoadedModel model = ModelLoader.load(bin.toString(), bin.resolveSibling("tok512.bin"));
        try (Scheduler s = new Scheduler(model.transformer(), new Scheduler.Settings(32, 64), new Metrics())) {
            TraceApi api = new TraceApi(model, s, Map.of(), new ValueStore(60_000, 1 << 20), TraceLimits.DEFAULT, 60_000, 2);
            Trace t = Trace.of(new int[] {1, 2, 3, 4, 5, 6});
            t.save("x", t.hook("blocks.0.hook_resid_post"));
            byte[] body = t.graph().toJson().toString().getBytes(StandardCharsets.UTF_8);
            CountDownLatch hold = new CountDownLatch(1);
            s.submit(new SoloJob<>("hold", System.nanoTime() + 60_000_000_000L, 1, () -> {
                try {
                    return hold.await(1, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, new CompletableFuture<>()));
            List<CompletableFuture<ModelApi.Result>> running = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int id = i;
                String key = i < 2 ? "alice" : "bob";
                running.add(CompletableFuture.supplyAsync(() -> api.trace(body, key, "r" + id)));
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (s.depth() < 3 && System.nanoTime() < until) Thread.sleep(10);
            assertEquals(3, s.depth(), "alice's two traces and bob's one are queued");
            ApiError e = assertThrows(ApiError.class, () -> api.trace(body, "alice", "r3"));
            assertEquals(429, e.status());
            assertTrue(e.getMessage().contains("already has 2 traces running"), e.getMessage());
            hold.countDown();
            for (var f : running) assertEquals(1, f.get(1, TimeUnit.MINUTES).tensors().size());
            assertEquals(1, api.trace(body, "alice", "r4").tensors().size(), "alice may run again once hers finished");
        }
    }
}
