package dev.loupe.server;

import com.sun.net.httpserver.HttpServer;
import dev.loupe.interp.trace.TraceLimits;
import dev.loupe.interp.trace.TraceSae;
import dev.loupe.model.LoadedModel;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.server.api.LensArrays;
import dev.loupe.server.api.Limits;
import dev.loupe.server.api.ModelApi;
import dev.loupe.sae.transcoder.Transcoders;
import dev.loupe.server.batch.Scheduler;
import dev.loupe.server.circuits.CircuitsApi;
import dev.loupe.server.circuits.ServedTranscoders;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.http.ApiKeys;
import dev.loupe.server.http.ArrayLimits;
import dev.loupe.server.http.Body;
import dev.loupe.server.http.Call;
import dev.loupe.server.http.MemoryBudget;
import dev.loupe.server.http.Router;
import dev.loupe.server.http.SameOrigin;
import dev.loupe.server.intervene.RowInterventions;
import dev.loupe.server.obs.Metrics;
import dev.loupe.server.obs.PhaseEvent;
import dev.loupe.server.sae.SaeApi;
import dev.loupe.server.sae.ServedSae;
import dev.loupe.server.trace.SaeForTraces;
import dev.loupe.server.trace.TraceApi;
import dev.loupe.server.trace.ValueStore;
import dev.loupe.server.wire.TensorEncoding;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Loupe's HTTP server: one model's internals for notebooks and the browser. The JDK's own HTTP server with a
 * virtual thread per request (no dependency; blocking handlers are cheap; chunked responses carry server-sent
 * events), a versioned JSON API under {@code /v1} described at {@code /v1/openapi.json}, Prometheus metrics at
 * {@code /metrics}, and the web UI at {@code /ui/}. All model work goes through one {@link Scheduler}, which
 * micro-batches concurrent requests.
 */
public final class LoupeServer implements AutoCloseable {
    /**
     * @param port TCP port on 127.0.0.1-or-all (0 picks a free one)
     * @param host address to bind ("127.0.0.1" keeps it on this machine)
     * @param maxBatchRows rows per shared pass (1: no micro-batching)
     * @param maxQueued jobs waiting before 429
     * @param allowedHosts Host names a keyless server answers besides localhost, its address and IP literals
     */
    public record Config(String host, int port, ApiKeys keys, Limits limits, int maxBatchRows, int maxQueued, List<String> allowedHosts) {
        public Config(String host, int port, ApiKeys keys, Limits limits, int maxBatchRows, int maxQueued) {
            this(host, port, keys, limits, maxBatchRows, maxQueued, List.of());
        }
    }

    /**
     * Connection limits of the JDK's HTTP server, read once per process when the first server starts (a property
     * set on the command line wins): at most 512 connections; a request's headers and body must arrive within
     * 30 s (slowloris clients are cut off); an idle keep-alive connection, or an accepted one that sends nothing,
     * is closed after 30 s; a response (queueing, model work and the write to a slow reader) must finish within
     * 10 minutes; at most 100 request headers. Idle connections are looked at every second.
     */
    static final java.util.Map<String, String> CONNECTION_LIMITS = java.util.Map.of(
            "jdk.httpserver.maxConnections", "512",
            "sun.net.httpserver.maxReqTime", "30",
            "sun.net.httpserver.idleInterval", "30",
            "sun.net.httpserver.maxRspTime", "600",
            "sun.net.httpserver.maxReqHeaders", "100",
            "sun.net.httpserver.clockTick", "1000", // how often idle connections are looked at (default 10 s)
            // without TCP_NODELAY, a response written in two segments waits for the client's delayed ACK (~40 ms)
            "sun.net.httpserver.nodelay", "true");

    /** A response holds its activations, their reductions and its encoding until written. */
    private static final int RESPONSE_COPIES = 3;

    /**
     * Responses of more raw bytes than this are written as they are encoded ({@link TensorEncoding#write}), holding
     * only the activations and their reductions, not a third copy as bytes; smaller ones are encoded whole first.
     */
    private static final long STREAM_BYTES = 256 << 10;
    private static final int STREAMED_COPIES = 2;

    /** Share of the heap that request bodies and responses in flight may hold together. */
    private static final double BUDGET_OF_HEAP = 0.5;

    /** Stored trace values live an hour after their last use; each API key may keep 256 MiB and run 4 traces at once. */
    static final long STORED_TTL_MILLIS = 3_600_000, STORED_QUOTA_BYTES = 256L << 20;
    static final int TRACES_PER_KEY = 4;

    private final HttpServer http;
    private final Scheduler scheduler;
    private final Metrics metrics = new Metrics();

    /** @param saes sparse autoencoders to serve (loaded at start-up; may be empty) */
    public LoupeServer(LoadedModel model, String name, List<ServedSae> saes, Config config, Consumer<String> requestLog) throws IOException {
        this(model, name, saes, (ServedTranscoders) null, config, requestLog);
    }

    /** @param transcoders the MLP replacement for attribution graphs and feature edits, or null */
    public LoupeServer(LoadedModel model, String name, List<ServedSae> saes, Transcoders transcoders, Config config, Consumer<String> requestLog)
            throws IOException {
        this(model, name, saes, transcoders == null ? null : ServedTranscoders.of(transcoders), config, requestLog);
    }

    /** @param transcoders the MLP replacement with its features' dashboards, or null */
    public LoupeServer(LoadedModel model, String name, List<ServedSae> saes, ServedTranscoders transcoders, Config config, Consumer<String> requestLog)
            throws IOException {
        scheduler = new Scheduler(model.transformer(), new Scheduler.Settings(config.maxBatchRows(), config.maxQueued()), metrics);
        SaeApi sae = new SaeApi(saes);
        ModelApi api = new ModelApi(model, name, config.limits(), scheduler, sae.directions());
        CONNECTION_LIMITS.forEach((k, v) -> {
            if (System.getProperty(k) == null) System.setProperty(k, v);
        });
        Router r = new Router(config.keys(), new SameOrigin(config.host(), config.keys().required(), config.allowedHosts()),
                MemoryBudget.ofHeap(BUDGET_OF_HEAP), metrics, requestLog);
        int body = config.limits().maxBodyBytes();
        // floods of readout positions or heads, or of intervention entries, are refused while streaming, before a tree is built
        int positions = Math.max(config.limits().maxTokens(), model.transformer().config().nHeads());
        ArrayLimits arrays = new ArrayLimits(Map.of("positions", positions, "heads", positions, "interventions", RowInterventions.MAX_ENTRIES));
        r.get("/v1/openapi.json", false, c -> c.send(200, "application/json", resource("openapi.json")));
        r.get("/v1/model", true, c -> c.json(200, api.info()));
        r.get("/v1/hooks", true, c -> c.json(200, api.hooks()));
        r.post("/v1/tokenize", c -> c.json(200, api.tokenize(Body.parse(c.body(body), arrays))));
        r.post("/v1/detokenize", c -> c.json(200, api.detokenize(Body.parse(c.body(body), arrays))));
        r.post("/v1/run", c -> respond(c, api.run(Body.parse(c.body(body), arrays), c.id()), config.limits()));
        r.post("/v1/gradients", c -> respond(c, api.gradients(Body.parse(c.body(body), arrays), c.id()), config.limits()));
        r.get("/v1/saes", true, c -> c.json(200, sae.list()));
        r.prefix("/v1/saes/", true, c -> c.json(200, sae.features(c.path().substring("/v1/saes/".length()))));
        r.post("/v1/sae/encode", c -> respond(c, sae.encode(api, Body.parse(c.body(body), arrays), c.id()), config.limits()));
        r.post("/v1/sae/decode", c -> respond(c, sae.decode(api, Body.parse(c.body(body), arrays), c.id()), config.limits()));
        r.post("/v1/lens", c -> {
            ObjectNode lens = api.lens(Body.parse(c.body(body), arrays), c.id());
            if (TensorEncoding.negotiate(c.header("Accept")) == TensorEncoding.JSON) c.json(200, lens);
            else respond(c, LensArrays.of(lens), config.limits());
        });
        Map<String, TraceSae> traceSaes = new java.util.LinkedHashMap<>();
        for (ServedSae s : saes) traceSaes.put(s.name(), new SaeForTraces(s.sae()));
        TraceApi traces = new TraceApi(model, scheduler, traceSaes, new ValueStore(STORED_TTL_MILLIS, STORED_QUOTA_BYTES), TraceLimits.DEFAULT,
                config.limits().timeoutMillis(), TRACES_PER_KEY);
        r.post("/v1/trace", c -> respond(c, traces.trace(c.body(TraceApi.MAX_BODY_BYTES), config.keys().check(c.header("Authorization")), c.id()), config.limits()));
        r.post("/v1/values", c -> respond(c, traces.values(Body.parse(c.body(body), arrays), config.keys().check(c.header("Authorization"))), config.limits()));
        r.post("/v1/generate", c -> new GenerateHandler(api).handle(c, Body.parse(c.body(body), arrays)));
        CircuitsApi circuits = new CircuitsApi(model, transcoders, api);
        r.post("/v1/attribute", c -> c.json(200, circuits.attribute(Body.parse(c.body(body), arrays), c.id())));
        r.post("/v1/attribute/qk", c -> c.json(200, circuits.qk(Body.parse(c.body(body), arrays), c.id())));
        r.post("/v1/features/intervene", c -> c.json(200, circuits.intervene(Body.parse(c.body(body), arrays), c.id())));
        r.prefix("/v1/transcoders/", true, c -> c.json(200, circuits.feature(c.path().substring("/v1/transcoders/".length()), c.id())));
        r.get("/metrics", true, c -> c.send(200, "text/plain; version=0.0.4", metrics.render().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        r.get("/", false, c -> {
            c.header("Location", "/ui/");
            c.send(302, "text/plain", new byte[0]);
        });
        r.prefix("/ui/", false, c -> {
            String file = c.path().substring(4);
            if (file.isEmpty()) file = "index.html";
            if (!file.matches("[a-z0-9-]+\\.(html|js|css)")) throw new ApiError(404, "no such page: " + c.path());
            c.send(200, contentType(file), resource("ui/" + file));
        });
        http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 256);
        http.createContext("/", r);
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.start();
    }

    public int port() {
        return http.getAddress().getPort();
    }

    public Metrics metrics() {
        return metrics;
    }

    private static void respond(Call c, ModelApi.Result res, Limits limits) throws IOException {
        TensorEncoding enc = TensorEncoding.negotiate(c.header("Accept"));
        long raw = res.tensors().stream().mapToLong(t -> t.nbytes()).sum() * (enc == TensorEncoding.JSON ? 4 : 1);
        if (raw > limits.maxResponseBytes()) {
            throw ApiError.tooLarge("the response would be about " + raw + " bytes; the limit is " + limits.maxResponseBytes()
                    + " (reduce on the server: positions, heads, reduce, norm, topk or project)");
        }
        if (res.extras().has("batch_rows")) c.note("batch_rows=" + res.extras().get("batch_rows").asInt());
        if (raw > STREAM_BYTES) { // written as encoded: the arrays and their reductions are held until a slow reader has taken them
            c.reserve(STREAMED_COPIES * raw, "the response");
            c.stream(200, enc.mediaType(), enc.length(res.extras(), res.tensors()), out -> enc.write(res.extras(), res.tensors(), out));
            return;
        }
        c.reserve(RESPONSE_COPIES * raw, "the response");
        PhaseEvent ev = PhaseEvent.start(c.id(), "serialize");
        byte[] bytes = enc.encode(res.extras(), res.tensors());
        ev.commit();
        c.send(200, enc.mediaType(), bytes);
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = LoupeServer.class.getResourceAsStream(name)) {
            if (in == null) throw new ApiError(404, "no such resource: " + name);
            return in.readAllBytes();
        }
    }

    private static String contentType(String file) {
        if (file.endsWith(".html")) return "text/html; charset=utf-8";
        if (file.endsWith(".js")) return "text/javascript; charset=utf-8";
        return "text/css; charset=utf-8";
    }

    @Override
    public void close() {
        http.stop(0);
        scheduler.close();
    }
}
