package dev.loupe.server.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.interp.intervene.CompiledInterventions;
import dev.loupe.interp.intervene.InterventionSpec;
import dev.loupe.interp.intervene.Interventions;
import dev.loupe.interp.intervene.TensorResolver;
import dev.loupe.interp.trace.TraceException;
import dev.loupe.interp.trace.TraceGraph;
import dev.loupe.interp.trace.TraceLimits;
import dev.loupe.interp.trace.TracePlan;
import dev.loupe.interp.trace.TraceRunner;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.server.LoupeServer;
import dev.loupe.server.api.Limits;
import dev.loupe.server.http.ApiKeys;
import dev.loupe.server.http.Body;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Fuzz targets of what arrives from outside at run time: intervention specs (parsed, compiled against stories260K and
 * run on a short input, as the CLI's --interventions does), trace graphs (parsed, validated and run) and request bodies of every POST endpoint, sent to a live
 * server. A spec may be refused with a SpecException; a request must get an answer under 500 (429 and 503 are
 * back-pressure), and the server must still answer afterwards.
 */
class RequestFuzz {
    static final LoadedModel MODEL = load();
    static LoupeServer server;
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static LoadedModel load() {
        try {
            Path bin = SharedModels.ROOT.resolve("stories260K/stories260K.bin");
            return ModelLoader.load(bin.toString(), bin.resolveSibling("tok512.bin"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Provide
    Arbitrary<Corpus.Seed> spec() {
        return Mutator.inputs("spec");
    }

    @Property(tries = 150)
    void interventionSpec(@ForAll("spec") Corpus.Seed in) throws Exception {
        Outcomes.check("spec", () -> {
            InterventionSpec spec = InterventionSpec.parse(new String(in.bytes(), StandardCharsets.UTF_8));
            CompiledInterventions c = Interventions.compile(spec, MODEL.transformer(), TensorResolver.EMPTY, MODEL::tokens);
            Hooks hooks = c.addTo(Hooks.builder(MODEL.transformer().hooks())).build();
            MODEL.transformer().forward(new int[][] {{1, 403, 407, 260}}, hooks, null, ForwardOptions.FULL);
        });
    }

    @Provide
    Arbitrary<Corpus.Seed> trace() {
        return Mutator.inputs("trace");
    }

    /** Limits small enough for a 256 MB heap: a graph past them must be refused, not run. */
    static final TraceLimits TRACE_LIMITS = new TraceLimits(10_000, 16, 16, 1L << 22, 32L << 20, 10, 2e9);

    /** Trace graphs: parsed, tokenized, validated against stories260K and run, as {@code /v1/trace} does; a TraceException is a refusal. */
    @Property(tries = 300)
    void traceGraph(@ForAll("trace") Corpus.Seed in) throws Exception {
        Outcomes.check("trace graph", () -> {
            try {
                TraceGraph g = TraceGraph.read(new java.io.ByteArrayInputStream(in.bytes()), TRACE_LIMITS.maxNodes()).tokenized((prompt, bos) -> MODEL.tokens(prompt));
                TracePlan plan = TracePlan.validate(g, MODEL.transformer(), java.util.Map.of(), name -> null, TRACE_LIMITS);
                TraceRunner.run(MODEL.transformer(), plan, System.nanoTime() + 10_000_000_000L, TRACE_LIMITS.maxBytes());
            } catch (TraceException refused) {
                // a clean refusal naming the node
            }
        });
    }

    @Provide
    Arbitrary<Corpus.Seed> request() {
        return Mutator.inputs("request");
    }

    /** The endpoint a request seed was written for: its file name up to the first '-'. */
    private static String endpoint(String seed) {
        String name = seed.substring(0, seed.indexOf('.'));
        int dash = name.indexOf('-');
        return "/v1/" + (dash < 0 ? name : name.substring(0, dash));
    }

    @Property(tries = 300)
    void requestBody(@ForAll("request") Corpus.Seed in) throws Exception {
        if (server == null) {
            server = new LoupeServer(MODEL, "stories260K", List.of(), new LoupeServer.Config("127.0.0.1", 0, ApiKeys.none(),
                    new Limits(128, 16, 4L << 20, 16L << 20, 1 << 20, 10_000), 8, 64), line -> {});
        }
        Outcomes.check("request body", () -> {
            HttpResponse<byte[]> r = send(endpoint(in.name()), in.bytes());
            int s = r.statusCode();
            if (s >= 500 && s != 503) throw new AssertionError(s + " for " + new String(in.bytes(), StandardCharsets.UTF_8) + ": " + new String(r.body()));
            if (s >= 400) {
                JsonNode err = Body.JSON.readTree(r.body()).get("error");
                if (err == null || !err.get("message").isTextual()) throw new AssertionError("error without a message: " + new String(r.body()));
            }
        });
    }

    private static HttpResponse<byte[]> send(String path, byte[] body) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @AfterContainer
    static void report() throws Exception {
        System.out.print(Outcomes.report());
        if (server != null) {
            int status = send("/v1/tokenize", "{\"prompt\": \"still here\"}".getBytes(StandardCharsets.UTF_8)).statusCode();
            server.close();
            if (status != 200) throw new AssertionError("the server stopped answering after the fuzzed requests: " + status);
        }
    }
}
