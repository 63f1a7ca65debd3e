package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.circuits.MemoryPlan;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.model.TransformerConfig;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.Transcoders;
import dev.loupe.server.api.Limits;
import dev.loupe.server.api.ModelApi;
import dev.loupe.server.batch.ForwardJob;
import dev.loupe.server.batch.Scheduler;
import dev.loupe.server.batch.SoloJob;
import dev.loupe.server.circuits.CircuitsApi;
import dev.loupe.server.circuits.ServedTranscoders;
import dev.loupe.server.client.LoupeClient;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.http.ApiKeys;
import dev.loupe.server.http.Body;
import dev.loupe.server.obs.Metrics;
import dev.loupe.server.sae.SaeApi;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Attribution graphs and QK attribution are model work like any other (issue 15, item 2): a graph too large for
 * {@code max_graph_bytes} is refused before anything queues or allocates, naming the limit; graphs wait on the model
 * thread among forwards under the scheduler's cheapest-first fairness; a graph past its time limit stops and frees
 * the model thread; the server keeps serving after each.
 */
class AttributionSchedulingTest {
    static LoadedModel model;
    static Transcoders tc;
    static final int[] IDS = {50256, 464, 3797, 3332, 319, 262, 2603};

    @BeforeAll
    static void load() throws Exception {
        model = ModelLoader.load(SharedModels.path("gpt2-tiny-random").toString(), null);
        tc = CircuitTracerFormat.read(SharedModels.path("circuits-tiny/plt-jumprelu"));
    }

    private static Limits limits(long graphBytes, long timeoutMillis) {
        Limits d = Limits.DEFAULT;
        return new Limits(d.maxTokens(), d.maxNewTokens(), d.maxResponseBytes(), d.maxCacheBytes(), d.maxBodyBytes(), timeoutMillis, graphBytes);
    }

    private static ObjectNode request(int[] ids) {
        ObjectNode req = LoupeClient.request();
        var t = req.putArray("tokens");
        for (int id : ids) t.add(id);
        return req;
    }

    /** Jobs that reached the model thread so far (each counts one batch). */
    private static double jobsRun(LoupeServer s) {
        for (String line : s.metrics().render().split("\n")) if (line.startsWith("loupe_batch_rows_count")) return Double.parseDouble(line.split(" ")[1]);
        throw new IllegalStateException("no loupe_batch_rows_count");
    }

    @Test
    void tooLargeGraphsAreRefusedBeforeTheyQueueAndTheServerKeepsServing() throws Exception {
        TransformerConfig cfg = model.transformer().config();
        int[] longIds = new int[cfg.nCtx()];
        java.util.Arrays.fill(longIds, 464);
        // the part of the plan known before the forward: the longest prompt's frozen forward alone is over the limit; 7 tokens' whole graph fits
        long frozenLong = MemoryPlan.of(cfg, longIds.length, 0, MemoryPlan.widest(tc), 0, 10, 1).frozen();
        long before7 = MemoryPlan.of(cfg, IDS.length, 0, MemoryPlan.widest(tc), 0, 10, 1).total();
        assertTrue(frozenLong > 1 << 20 && before7 < 1 << 19, frozenLong + " / " + before7);
        try (LoupeServer server = new LoupeServer(model, "gpt2-tiny", List.of(), tc,
                new LoupeServer.Config("127.0.0.1", 0, ApiKeys.none(), limits(frozenLong - 1, 60_000), 32, 64), line -> { })) {
            LoupeClient client = new LoupeClient(java.net.URI.create("http://127.0.0.1:" + server.port() + "/"), null);
            double jobs = jobsRun(server);
            for (String path : List.of("/v1/attribute", "/v1/attribute/qk", "/v1/features/intervene")) {
                ObjectNode req = request(longIds).put("layer", 1).put("head", 0).put("key_position", 0);
                if (!path.endsWith("qk")) {
                    req.remove("layer");
                    req.remove("head");
                    req.remove("key_position");
                }
                LoupeClient.ApiException e = assertThrows(LoupeClient.ApiException.class, () -> client.post(path, req));
                assertEquals(413, e.status(), path + ": " + e.getMessage());
                assertTrue(e.getMessage().contains("max_graph_bytes is " + MemoryPlan.gib(frozenLong - 1)), e.getMessage());
            }
            assertEquals(jobs, jobsRun(server), "refused before queueing: no job reached the model thread");
            // a graph whose features only turn out to be too many once they are known: refused by the plan, with its figures
            try (LoupeServer tight = new LoupeServer(model, "gpt2-tiny", List.of(), tc,
                    new LoupeServer.Config("127.0.0.1", 0, ApiKeys.none(), limits(before7 + 1, 60_000), 32, 64), line -> { })) {
                LoupeClient c = new LoupeClient(java.net.URI.create("http://127.0.0.1:" + tight.port() + "/"), null);
                LoupeClient.ApiException e = assertThrows(LoupeClient.ApiException.class, () -> c.post("/v1/attribute", request(IDS)));
                assertEquals(413, e.status(), e.getMessage());
                assertTrue(e.getMessage().contains("needs about") && e.getMessage().contains("max_graph_bytes"), e.getMessage());
                assertEquals(200, RawHttp.exchange(tight.port(), "POST", "/v1/run", java.util.Map.of(), "{\"tokens\": [1, 2, 3], \"cache\": [\"logits\"]}").status());
            }
            JsonNode g = client.post("/v1/attribute", request(IDS));
            assertTrue(g.get("nodes").size() > IDS.length, "a graph within the limit is served afterwards");
            assertEquals(200, RawHttp.exchange(server.port(), "POST", "/v1/run", java.util.Map.of(), "{\"tokens\": [1, 2, 3], \"cache\": [\"logits\"]}").status());
        }
    }

    /**
     * A forward of {@link #IDS} once the model thread is free: under this test's 1 s request limit a forward queued
     * behind the stopping graph on a loaded machine may itself time out, so it is retried until {@code millis} pass.
     */
    private static dev.loupe.server.batch.ForwardJob.Result forwardWithin(Stack st, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (true) {
            try {
                return st.api().forward("after", IDS, null, List.of(), true);
            } catch (ApiError e) {
                if (e.status() != 503 || System.currentTimeMillis() > end) throw e;
                Thread.sleep(100);
            }
        }
    }

    /** A model thread, ModelApi and CircuitsApi without HTTP, so a test can hold the model thread and watch the queue. */
    private record Stack(Scheduler scheduler, ModelApi api, CircuitsApi circuits) implements AutoCloseable {
        static Stack of(Limits limits, long overtakeNanos) {
            Scheduler s = new Scheduler(model.transformer(), new Scheduler.Settings(8, 64, overtakeNanos), new Metrics());
            ModelApi api = new ModelApi(model, "gpt2-tiny", limits, s, new SaeApi(List.of()).directions());
            return new Stack(s, api, new CircuitsApi(model, ServedTranscoders.of(tc), api));
        }

        /** Holds the model thread until {@code release} opens. */
        void hold(CountDownLatch release) throws InterruptedException {
            CountDownLatch running = new CountDownLatch(1);
            solo("hold", 1, () -> {
                running.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return 0;
            });
            running.await();
        }

        /** Queues {@code work} as a job of {@code cost} on the model thread. */
        <T> CompletableFuture<T> solo(String name, long cost, Supplier<T> work) {
            CompletableFuture<T> f = new CompletableFuture<>();
            scheduler.submit(new SoloJob<>(name, System.nanoTime() + TimeUnit.MINUTES.toNanos(1), cost, work, f));
            return f;
        }

        /** A graph waiting for the model thread, which is held until {@code release} opens. */
        CompletableFuture<ObjectNode> queuedGraph(CountDownLatch release) throws InterruptedException {
            hold(release);
            CompletableFuture<ObjectNode> graph = async(() -> circuits.attribute(Body.of(request(IDS), "body"), "graph"));
            awaitDepth(1);
            return graph;
        }

        void awaitDepth(long depth) throws InterruptedException {
            for (int i = 0; i < 1000 && scheduler.depth() < depth; i++) Thread.sleep(10);
            assertEquals(depth, scheduler.depth(), "jobs queued");
        }

        @Override
        public void close() {
            scheduler.close();
        }
    }

    /** {@code work} on a thread of its own. */
    private static <T> CompletableFuture<T> async(Supplier<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                f.complete(work.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    @Test
    void graphsWaitOnTheModelThreadAndCheapForwardsThatCameLaterPassThem() throws Exception {
        // overtaking after a minute: the order is the scheduler's cheapest first however slow this machine is
        try (Stack st = Stack.of(limits(Limits.DEFAULT_GRAPH_BYTES, 60_000), TimeUnit.MINUTES.toNanos(1))) {
            CountDownLatch release = new CountDownLatch(1);
            st.hold(release);
            CompletableFuture<ObjectNode> graph = async(() -> st.circuits().attribute(Body.of(request(IDS), "body"), "graph"));
            CompletableFuture<ObjectNode> qk = async(() -> st.circuits().qk(Body.of(request(IDS).put("layer", 1).put("head", 3).put("key_position", 2), "body"), "qk"));
            st.awaitDepth(2);
            // forwards queued after the graphs; each notes, on the model thread as it completes, whether a graph had finished
            List<String> seen = new CopyOnWriteArrayList<>();
            List<CompletableFuture<ForwardJob.Result>> forwards = new ArrayList<>();
            for (int n = 5; n < 8; n++) {
                CompletableFuture<ForwardJob.Result> f = new CompletableFuture<>();
                int len = n;
                f.thenRun(() -> seen.add("forward-" + len + (graph.isDone() || qk.isDone() ? " after a graph" : "")));
                st.scheduler().submit(new ForwardJob("f" + n, System.nanoTime() + TimeUnit.MINUTES.toNanos(1), AttackMixTest.ids(n), null, List.of(), true, f));
                forwards.add(f);
            }
            st.awaitDepth(5);
            Thread.sleep(200);
            assertFalse(graph.isDone() || qk.isDone(), "the graphs wait for the model thread (they do not run on the request thread)");
            release.countDown();
            assertTrue(graph.get(60, TimeUnit.SECONDS).get("nodes").size() > IDS.length, "the graph is answered in full");
            assertTrue(qk.get(60, TimeUnit.SECONDS).get("pairs").size() > 0, "the QK attribution is answered in full");
            for (CompletableFuture<ForwardJob.Result> f : forwards) f.get(60, TimeUnit.SECONDS);
            assertEquals(List.of("forward-5", "forward-6", "forward-7"), seen, "the cheaper forwards ran first, cheapest first");
        }
    }

    @Test
    void aGraphOvertakenLongerThanTheSchedulerAllowsRunsNext() throws Exception {
        try (Stack st = Stack.of(limits(Limits.DEFAULT_GRAPH_BYTES, 60_000), Scheduler.OVERTAKE_NANOS)) {
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<ObjectNode> graph = st.queuedGraph(release);
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(Scheduler.OVERTAKE_NANOS) + 100);
            // a cheap job that came later: on the model thread it waits for the graph, which can only finish if it ran first
            CompletableFuture<Boolean> graphRanFirst = st.solo("cheap", 1, () -> {
                try {
                    graph.get(10, TimeUnit.SECONDS);
                    return true;
                } catch (Exception e) {
                    return false;
                }
            });
            st.awaitDepth(2);
            release.countDown();
            assertTrue(graphRanFirst.get(60, TimeUnit.SECONDS), "nothing starves: the graph that waited ran before the cheaper job");
        }
    }

    @Test
    void aGraphPastItsTimeLimitStopsAndFreesTheModelThread() throws Exception {
        try (Stack st = Stack.of(limits(Limits.DEFAULT_GRAPH_BYTES, 1_000), Scheduler.OVERTAKE_NANOS)) {
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<ObjectNode> graph = st.queuedGraph(release);
            Thread.sleep(1_100); // its deadline passes while it waits
            release.countDown();
            Throwable e = assertThrows(java.util.concurrent.ExecutionException.class, () -> graph.get(60, TimeUnit.SECONDS)).getCause();
            assertEquals(503, ((ApiError) e).status(), e.getMessage());
            assertTrue(e.getMessage().contains("time limit"), e.getMessage());
            assertEquals(IDS.length, forwardWithin(st, 30_000).logits().size(1), "the model thread serves on");
            // work that stops itself at its deadline (a graph's reverse passes, AttributionDeadlineTest) answers the same 503
            ApiError stopped = assertThrows(ApiError.class, () -> st.api().solo("stops", 1, (java.util.function.LongFunction<Object>) deadline -> {
                throw new java.util.concurrent.CancellationException("past " + deadline);
            }));
            assertEquals(503, stopped.status(), stopped.getMessage());
        }
    }
}
