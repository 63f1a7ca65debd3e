package dev.loupe.server.trace;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.interp.trace.TraceException;
import dev.loupe.interp.trace.TraceGraph;
import dev.loupe.interp.trace.TraceLimits;
import dev.loupe.interp.trace.TracePlan;
import dev.loupe.interp.trace.TraceRunner;
import dev.loupe.interp.trace.TraceSae;
import dev.loupe.interp.trace.TraceValue;
import dev.loupe.model.LoadedModel;
import dev.loupe.server.api.ModelApi;
import dev.loupe.server.batch.Scheduler;
import dev.loupe.server.batch.TraceJob;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.http.Body;
import dev.loupe.server.wire.NamedTensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code POST /v1/trace} and {@code POST /v1/values}: experiments sent as trace graphs ({@code docs/trace.md}),
 * checked completely before anything queues (a refusal names the node and the user's line), run by the scheduler
 * inside the model's passes (sharing a pass with other users' traces where the bits allow), with the saved values
 * returned and, when asked, kept under a name for later traces of the same key.
 */
public final class TraceApi {
    /** A trace body may be larger than other requests: graphs carry constants. */
    public static final int MAX_BODY_BYTES = 64 << 20;

    private final LoadedModel loaded;
    private final Scheduler scheduler;
    private final Map<String, TraceSae> saes;
    private final ValueStore store;
    private final TraceLimits limits;
    private final long timeoutMillis;
    private final int maxConcurrentPerKey;
    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();

    public TraceApi(LoadedModel loaded, Scheduler scheduler, Map<String, TraceSae> saes, ValueStore store, TraceLimits limits, long timeoutMillis,
                    int maxConcurrentPerKey) {
        this.loaded = loaded;
        this.scheduler = scheduler;
        this.saes = saes;
        this.store = store;
        this.limits = limits;
        this.timeoutMillis = timeoutMillis;
        this.maxConcurrentPerKey = maxConcurrentPerKey;
    }

    /** Reads, checks, queues and waits for one trace of {@code key}; the saved values as arrays. */
    public ModelApi.Result trace(byte[] body, String key, String requestId) {
        AtomicInteger n = running.computeIfAbsent(key, k -> new AtomicInteger());
        if (n.incrementAndGet() > maxConcurrentPerKey) {
            n.decrementAndGet();
            throw new ApiError(429, "this API key already has " + maxConcurrentPerKey + " traces running; wait for one to finish", 1);
        }
        try {
            TracePlan plan = plan(body, key);
            CompletableFuture<TraceRunner.Result> f = new CompletableFuture<>();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            scheduler.submit(new TraceJob(requestId, deadline, plan, limits.maxBytes(), f));
            return respond(await(f), key);
        } catch (TraceException e) {
            throw new ApiError(e.status(), e.getMessage());
        } finally {
            n.decrementAndGet();
        }
    }

    /** Parses, tokenizes and validates a graph against the model, the SAEs and this key's stored values. */
    TracePlan plan(byte[] body, String key) {
        TraceGraph g;
        try {
            g = TraceGraph.read(new ByteArrayInputStream(body), limits.maxNodes());
        } catch (IOException e) {
            throw ApiError.badRequest("unreadable trace graph: " + e.getMessage());
        }
        g = g.tokenized((prompt, bos) -> {
            if (loaded.tokenizer() == null) throw ApiError.badRequest("this server's model has no tokenizer: send token ids in 'invokes'");
            return bos ? loaded.tokens(prompt) : loaded.tokenizer().encode(prompt);
        });
        TracePlan plan = TracePlan.validate(g, loaded.transformer(), saes, name -> store.get(key, name), limits);
        Map<String, Long> storing = new LinkedHashMap<>();
        for (TraceGraph.Node node : g.nodes()) {
            if (node.op().equals("save") && node.attrs().path("store").asBoolean(false)) {
                storing.put(node.attrs().get("name").asText(), 4 * Tensor.numel(plan.shapeOf(node.in()[0])));
            }
        }
        if (!storing.isEmpty()) store.checkRoom(key, storing);
        return plan;
    }

    private ModelApi.Result respond(TraceRunner.Result r, String key) {
        ObjectNode extras = Body.JSON.createObjectNode();
        ObjectNode dtypes = extras.putObject("dtypes");
        List<NamedTensor> out = new ArrayList<>();
        for (var e : r.saved().entrySet()) {
            TraceValue v = e.getValue();
            dtypes.put(e.getKey(), v.dtype().wire());
            if (r.store().contains(e.getKey())) store.put(key, e.getKey(), v);
            out.add(array(e.getKey(), v));
        }
        ArrayNode stored = extras.putArray("stored");
        r.store().forEach(stored::add);
        if (r.generated() != null) {
            ArrayNode gen = extras.putArray("generated");
            for (int[] row : r.generated()) {
                ArrayNode a = gen.addArray();
                for (int t : row) a.add(t);
            }
        }
        extras.put("batch_rows", r.batchRows());
        return new ModelApi.Result(extras, out);
    }

    static NamedTensor array(String name, TraceValue v) {
        Tensor t = v.tensor();
        if (v.dtype() == TraceValue.DType.FLOAT32) return NamedTensor.ofFloats(name, t.data(), t.shape());
        long[] l = new long[t.numel()];
        for (int i = 0; i < l.length; i++) l[i] = (long) t.data()[i];
        return NamedTensor.ofLongs(name, l, t.shape());
    }

    /**
     * Stored values of a key: {@code {"list": true}}, {@code {"get": name}} (the array), {@code {"delete": [names]}},
     * or {@code {"put": name, "shape": [...], "data": base64 little-endian float32}} (an upload).
     */
    public ModelApi.Result values(Body b, String key) {
        b.allow(Set.of("list", "get", "delete", "put", "shape", "data"));
        ObjectNode o = Body.JSON.createObjectNode();
        if (b.has("get")) {
            String name = b.requireString("get");
            TraceValue v = store.get(key, name);
            if (v == null) throw new ApiError(404, b.field("get") + ": no stored value named '" + name + "'");
            return new ModelApi.Result(o, List.of(array(name, v)));
        }
        if (b.has("delete")) {
            List<String> names = new ArrayList<>();
            for (Body.Element e : b.array("delete")) {
                if (!e.node().isTextual()) throw ApiError.badRequest(e.path() + ": expected a name");
                names.add(e.node().textValue());
            }
            o.put("deleted", store.delete(key, names));
        } else if (b.has("put")) {
            String name = b.requireString("put");
            if (!name.matches("[A-Za-z0-9_.:\\-\\[\\]]{1,200}")) throw ApiError.badRequest(b.field("put") + ": names are 1-200 of A-Z a-z 0-9 _ . : - [ ]");
            int[] shape = b.ints("shape");
            if (shape == null) throw ApiError.badRequest(b.field("shape") + " is required");
            long numel = TracePlanShapes.numel(shape);
            byte[] data;
            try {
                data = Base64.getDecoder().decode(b.requireString("data"));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest(b.field("data") + ": not base64");
            }
            if (data.length != 4 * numel) throw ApiError.badRequest(b.field("data") + ": holds " + data.length / 4 + " float32 values; shape needs " + numel);
            float[] v = new float[(int) numel];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            store.put(key, name, new TraceValue(Tensor.of(v, shape), TraceValue.DType.FLOAT32));
            o.put("stored", name);
        }
        ArrayNode list = o.putArray("values");
        long now = System.nanoTime();
        for (var e : store.list(key).entrySet()) {
            ObjectNode v = list.addObject().put("name", e.getKey()).put("dtype", e.getValue().value().dtype().wire()).put("bytes", e.getValue().bytes());
            ArrayNode s = v.putArray("shape");
            for (int d : e.getValue().value().tensor().shape()) s.add(d);
            v.put("expires_in_s", (e.getValue().expires() - now) / 1_000_000_000L);
        }
        o.put("bytes_used", store.used(key)).put("quota_bytes", store.quotaBytes());
        return new ModelApi.Result(o, List.of());
    }

    private <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ApiError(503, "the trace ran past its time limit of " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ApiError a) throw a;
            if (e.getCause() instanceof TraceException t) throw new ApiError(t.status(), t.getMessage());
            if (e.getCause() instanceof IllegalArgumentException a) throw ApiError.badRequest(a.getMessage());
            throw new IllegalStateException("trace failed: " + e.getCause(), e.getCause());
        }
    }

    /** Element count of an uploaded shape, refused past 2^28. */
    private static final class TracePlanShapes {
        static long numel(int[] s) {
            long n = 1;
            for (int v : s) {
                if (v < 0) throw ApiError.badRequest("shape sizes must be non-negative");
                n *= v;
                if (n > (1L << 28)) throw ApiError.tooLarge("an uploaded value may hold at most " + (1L << 28) + " elements");
            }
            return n;
        }
    }
}
