package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.server.api.Limits;
import dev.loupe.server.http.Body;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each kind of bad request gets its status code and a message that says what was wrong; the server stays up. */
class BadInputTest {
    static TestServer ts;

    @BeforeAll
    static void start() {
        ts = new TestServer(new Limits(64, 16, 1 << 20, 1 << 20, 4096, 30_000), 32, 256);
    }

    @AfterAll
    static void stop() {
        ts.close();
    }

    private static String refused(int status, String path, String body) throws Exception {
        HttpResponse<byte[]> r = Http.post(ts, path, body, "application/json");
        assertEquals(status, r.statusCode(), new String(r.body()));
        JsonNode err = Body.JSON.readTree(r.body()).get("error");
        assertEquals(status, err.get("status").asInt());
        assertUp();
        return err.get("message").asText();
    }

    private static void assertUp() throws Exception {
        HttpResponse<byte[]> r = Http.send(ts, HttpRequest.newBuilder(ts.uri().resolve("/v1/model")).header("Authorization", "Bearer " + TestServer.KEY));
        assertEquals(200, r.statusCode());
    }

    private static void contains(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), "'" + message + "' should mention '" + p + "'");
    }

    @Test
    void malformedJson() throws Exception {
        contains(refused(400, "/v1/run", "{\"prompt\": \"hi\","), "malformed JSON", "line 1");
        contains(refused(400, "/v1/run", "[1, 2]"), "expected a JSON object");
        contains(refused(400, "/v1/run", ""), "empty request body");
    }

    @Test
    void unknownFieldsAndWrongTypes() throws Exception {
        contains(refused(400, "/v1/run", "{\"prompt\": \"hi\", \"cahce\": []}"), "unknown field 'cahce'", "cache");
        contains(refused(400, "/v1/run", "{\"tokens\": [1, \"x\"]}"), "body.tokens[1]", "integer");
        contains(refused(400, "/v1/run", "{\"tokens\": [1, 99999]}"), "token id 99999", "0..511");
        contains(refused(400, "/v1/generate", "{\"prompt\": \"hi\", \"temperature\": -1}"), "temperature");
    }

    @Test
    void unknownHooks() throws Exception {
        contains(refused(400, "/v1/run", "{\"prompt\": \"hi\", \"cache\": [\"blocks.0.hook_resid_psot\"]}"), "unknown hook 'blocks.0.hook_resid_psot'", "blocks.0.hook_resid_post");
        contains(refused(400, "/v1/run", "{\"prompt\": \"hi\", \"interventions\": [{\"hook\": \"blocks.9.hook_resid_post\", \"op\": \"zero\"}]}"), "intervention", "unknown hook");
        contains(refused(400, "/v1/run", "{\"prompt\": \"hi\", \"interventions\": [{\"hook\": \"blocks.1.hook_resid_post\", \"op\": \"add\", \"vector\": [1, 2]}]}"),
                "body.interventions[0].vector", "vector has 2 values", "d_model=64");
        contains(refused(400, "/v1/run", "{\"prompt\": \"hi\", \"interventions\": [{\"hook\": \"blocks.1.hook_resid_post\", \"op\": \"zero\", \"rows\": [3]}]}"),
                "body.interventions[0].rows", "one sequence");
        contains(refused(400, "/v1/run", "{\"prompt\": \"hi\", \"interventions\": [{\"hook\": \"blocks.1.hook_resid_post\", \"op\": \"explode\"}]}"), "explode");
        contains(refused(400, "/v1/run", "{\"prompt\": \"hi\", \"cache\": [{\"hook\": \"blocks.1.hook_resid_post\", \"heads\": [0]}]}"), "no head axis");
    }

    @Test
    void oversizedRequests() throws Exception {
        contains(refused(413, "/v1/run", "{\"tokens\": [" + "1,".repeat(100) + "1]}"), "101 tokens", "at most 64");
        contains(refused(413, "/v1/run", "{\"prompt\": \"" + "a".repeat(5000) + "\"}"), "larger than the limit of 4096 bytes");
        contains(refused(413, "/v1/run", "{\"tokens\": [" + "1,".repeat(60) + "1], \"cache\": [\"*\"]}"), "limit is 1048576");
        contains(refused(400, "/v1/generate", "{\"prompt\": \"hi\", \"max_tokens\": 1000}"), "max_tokens", "1..16");
    }

    @Test
    void pathLikeModelNames() throws Exception {
        for (String name : List.of("../models/x.bin", "/etc/passwd", "C:\\\\models", "~/m", "./stories260K")) {
            contains(refused(400, "/v1/run", "{\"model\": \"" + name + "\", \"prompt\": \"hi\"}"), "looks like a file path", "chosen when the server starts");
        }
        contains(refused(404, "/v1/run", "{\"model\": \"gpt2\", \"prompt\": \"hi\"}"), "no model named 'gpt2'", "stories260K");
    }

    @Test
    void apiKeys() throws Exception {
        HttpRequest.Builder none = HttpRequest.newBuilder(ts.uri().resolve("/v1/run")).POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"hi\"}"));
        HttpResponse<byte[]> r = Http.send(ts, none);
        assertEquals(401, r.statusCode());
        contains(new String(r.body()), "missing API key", "Bearer");
        r = Http.send(ts, HttpRequest.newBuilder(ts.uri().resolve("/v1/hooks")).header("Authorization", "Bearer not-the-right-key-at-all"));
        assertEquals(401, r.statusCode());
        contains(new String(r.body()), "invalid API key");
        r = Http.send(ts, HttpRequest.newBuilder(ts.uri().resolve("/v1/hooks")).header("Authorization", "Basic abc"));
        assertEquals(401, r.statusCode());
        r = Http.send(ts, HttpRequest.newBuilder(ts.uri().resolve("/v1/openapi.json")));
        assertEquals(200, r.statusCode(), "the API description needs no key");
        assertTrue(ts.log.stream().anyMatch(l -> l.contains("\"status\":401")), "401s are logged");
    }

    @Test
    void wrongMethodUnknownPathAndNpyOfMany() throws Exception {
        HttpResponse<byte[]> r = Http.send(ts, HttpRequest.newBuilder(ts.uri().resolve("/v1/run")).header("Authorization", "Bearer " + TestServer.KEY));
        assertEquals(405, r.statusCode());
        r = Http.send(ts, HttpRequest.newBuilder(ts.uri().resolve("/v2/run")));
        assertEquals(404, r.statusCode());
        contains(new String(r.body()), "/v1/openapi.json");
        r = Http.post(ts, "/v1/run", "{\"prompt\": \"hi\", \"cache\": [\"blocks.0.*\"]}", "application/x-npy");
        assertEquals(406, r.statusCode());
        contains(new String(r.body()), "exactly one array", "safetensors");
        r = Http.send(ts, HttpRequest.newBuilder(ts.uri().resolve("/ui/../../etc/passwd")));
        assertEquals(404, r.statusCode());
    }

    /** With a one-job queue, a burst is partly refused with 429 + Retry-After rather than queued without bound. */
    @Test
    void backPressure() throws Exception {
        try (TestServer small = new TestServer(Limits.DEFAULT, 1, 1); ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<HttpResponse<byte[]>>> fs = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                fs.add(pool.submit(() -> Http.post(small, "/v1/generate", "{\"prompt\": \"Once\", \"max_tokens\": 16}", "application/json")));
            }
            int ok = 0, busy = 0;
            for (var f : fs) {
                HttpResponse<byte[]> r = f.get();
                if (r.statusCode() == 200) ok++;
                if (r.statusCode() == 429) {
                    busy++;
                    assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
                    contains(new String(r.body()), "server busy");
                }
            }
            assertEquals(32, ok + busy);
            assertTrue(ok > 0 && busy > 0, ok + " ok, " + busy + " busy");
            assertTrue(small.server.metrics().render().contains("loupe_rejected_total " + busy));
        }
    }
}
