package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.server.batch.Scheduler;
import dev.loupe.server.batch.SoloJob;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.http.ApiKeys;
import dev.loupe.server.http.MemoryBudget;
import dev.loupe.server.http.Router;
import dev.loupe.server.http.SameOrigin;
import dev.loupe.server.obs.Metrics;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** An OutOfMemoryError on the model thread or in a request handler is a clean 503; both keep serving (issue 15, item 2). */
class OutOfMemoryTest {
    @Test
    void modelThreadSurvivesAnOutOfMemoryErrorAndServesTheNextJob() throws Exception {
        try (TestServer ts = new TestServer(); Scheduler s = new Scheduler(ts.model.transformer(), new Scheduler.Settings(4, 8), new Metrics())) {
            CompletableFuture<Integer> failed = new CompletableFuture<>(), next = new CompletableFuture<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            s.submit(new SoloJob<Integer>("oom", deadline, 1, () -> {
                throw new OutOfMemoryError("injected");
            }, failed));
            s.submit(new SoloJob<>("next", deadline, 1, () -> 42, next));
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> failed.get(30, TimeUnit.SECONDS));
            ApiError err = assertInstanceOf(ApiError.class, e.getCause());
            assertEquals(503, err.status());
            assertTrue(err.getMessage().contains("out of memory"));
            assertEquals(42, next.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void handlerOutOfMemoryIsA503AndTheServerKeepsAnswering() throws Exception {
        Router r = new Router(ApiKeys.none(), new SameOrigin("127.0.0.1", false, java.util.List.of()), new MemoryBudget(1 << 20), new Metrics(), l -> {});
        r.get("/oom", false, c -> {
            throw new OutOfMemoryError("injected");
        });
        r.get("/ok", false, c -> c.send(200, "text/plain", "fine".getBytes()));
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        http.createContext("/", r);
        http.start();
        try {
            int port = http.getAddress().getPort();
            RawHttp.Response oom = RawHttp.exchange(port, "GET", "/oom", Map.of(), null);
            assertEquals(503, oom.status());
            assertTrue(oom.body().contains("out of memory"), oom.body());
            assertEquals("1", oom.headers().get("retry-after"));
            assertEquals(200, RawHttp.exchange(port, "GET", "/ok", Map.of(), null).status());
        } finally {
            http.stop(0);
        }
    }
}
