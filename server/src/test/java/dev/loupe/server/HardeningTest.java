package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.LoadedModel;
import dev.loupe.server.api.Limits;
import dev.loupe.server.http.ApiKeys;
import dev.loupe.server.http.Body;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests cost what their size says, malformed JSON is a 400, and a keyless loopback server cannot be driven from
 * another site (issue 15, items 2, 4 and 7). The mixed attack run is {@link AttackMixTest}.
 */
class HardeningTest {
    static TestServer ts;
    static LoupeServer open;

    @BeforeAll
    static void start() throws Exception {
        ts = new TestServer();
        LoadedModel m = ts.model;
        open = new LoupeServer(m, "stories260K", List.of(), new LoupeServer.Config("127.0.0.1", 0, ApiKeys.none(), Limits.DEFAULT, 32, 256), s -> {});
    }

    @AfterAll
    static void stop() {
        ts.close();
        open.close();
    }

    private static JsonNode refused(int status, String path, String body) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<byte[]> r = Http.post(ts, path, body, "application/json");
        assertEquals(status, r.statusCode(), new String(r.body()));
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "refusal took too long");
        assertEquals(200, Http.post(ts, "/v1/tokenize", "{\"prompt\": \"Once upon a time\"}", "application/json").statusCode(), "server still serving");
        return Body.JSON.readTree(r.body()).get("error");
    }

    private static void contains(JsonNode err, String... parts) {
        String m = err.get("message").asText();
        for (String p : parts) assertTrue(m.contains(p), "'" + m + "' should mention '" + p + "'");
    }

    @Test
    void repeatedReadoutPositionsAreRefusedBeforeTheyAllocate() throws Exception {
        StringBuilder pos = new StringBuilder();
        for (int i = 0; i < 100_000; i++) pos.append(i == 0 ? "" : ",").append(0);
        String body = "{\"tokens\": [1, 403, 407], \"cache\": [{\"hook\": \"logits\", \"positions\": [" + pos + "]}]}";
        assertTrue(body.length() > 190_000);
        contains(refused(413, "/v1/run", body), "cache", "positions");
        String heads = "{\"tokens\": [1, 403, 407], \"cache\": [{\"hook\": \"blocks.*.attn.hook_pattern\", \"heads\": [" + pos + "]}]}";
        contains(refused(413, "/v1/run", heads), "heads");
    }

    @Test
    void gradientReadoutsAreBoundedLikeCachedOnes() throws Exception {
        StringBuilder pos = new StringBuilder();
        for (int i = 0; i < 300_000; i++) pos.append(i == 0 ? "" : ",").append(1);
        contains(refused(413, "/v1/gradients", "{\"tokens\": [1, 403, 407], \"grads\": [{\"hook\": \"blocks.0.hook_resid_post\", \"positions\": [" + pos + "]}]}"),
                "grads");
    }

    @Test
    void resampleFloodIsRefusedBeforeAnyForward() throws Exception {
        StringBuilder ivs = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            ivs.append(i == 0 ? "" : ",").append("{\"hook\": \"blocks.0.hook_resid_post\", \"op\": \"resample\", \"input\": {\"ids\": [1, 2, 3, 4, 5, 6]}}");
        }
        contains(refused(413, "/v1/run", "{\"tokens\": [1, 2, 3], \"cache\": [\"logits\"], \"interventions\": [" + ivs + "]}"), "interventions", "256");
        StringBuilder nine = new StringBuilder();
        for (int i = 0; i < 9; i++) nine.append(i == 0 ? "" : ",").append("{\"hook\": \"blocks.0.hook_resid_post\", \"op\": \"resample\", \"input\": {\"ids\": [1, 2, 3]}}");
        contains(refused(413, "/v1/run", "{\"tokens\": [1, 2, 3], \"cache\": [\"logits\"], \"interventions\": [" + nine + "]}"), "resample", "8");
    }

    @Test
    void editsThatExpandToEveryHookAreBounded() throws Exception {
        StringBuilder ivs = new StringBuilder();
        for (int i = 0; i < 200; i++) ivs.append(i == 0 ? "" : ",").append("{\"hook\": \"*\", \"op\": \"zero\"}");
        contains(refused(413, "/v1/run", "{\"tokens\": [1, 2, 3], \"cache\": [\"logits\"], \"interventions\": [" + ivs + "]}"), "hook edits");
    }

    @Test
    void resampleRunsOnTheModelThreadAndStillAnswers() throws Exception {
        String body = "{\"tokens\": [1, 403, 407, 260, 300], \"cache\": [\"logits\"], \"interventions\": [{\"hook\": \"blocks.1.hook_resid_post\","
                + " \"op\": \"resample\", \"input\": {\"text\": \"The dog ran\"}}]}";
        HttpResponse<byte[]> r = Http.post(ts, "/v1/run", body, "application/json");
        assertEquals(200, r.statusCode(), new String(r.body()));
    }

    @Test
    void textLongerThanTheTokenLimitAllowsIsRefusedBeforeTokenizing() throws Exception {
        String word = "x".repeat(2_000_000);
        contains(refused(413, "/v1/tokenize", "{\"prompt\": \"" + word + "\"}"), "characters", "tokens");
    }

    @Test
    void malformedJsonBeyondJacksonsLimitsIsA400() throws Exception {
        contains(refused(400, "/v1/run", "{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}"), "malformed JSON");
        contains(refused(400, "/v1/run", "{\"tokens\": [" + "9".repeat(5000) + "]}"), "malformed JSON");
        contains(refused(400, "/v1/run", "{\"tokens\": [1, 2], \"cache\": [{\"hook\": \"logits\", \"project\": [[1e39]]}]}"), "finite");
    }

    @Test
    void keylessServerAnswersOnlyHostsItKnows() throws Exception {
        int port = open.port();
        assertEquals(403, RawHttp.exchange(port, "GET", "/v1/model", Map.of("Host", "evil.example:" + port), null).status());
        assertEquals(403, RawHttp.exchange(port, "POST", "/v1/tokenize", Map.of("Host", "rebound.attacker.test"), "{\"prompt\": \"hi\"}").status());
        assertEquals(200, RawHttp.exchange(port, "GET", "/v1/model", Map.of("Host", "localhost:" + port), null).status());
        assertEquals(200, RawHttp.exchange(port, "GET", "/v1/model", Map.of("Host", "127.0.0.1:" + port), null).status());
        assertEquals(200, RawHttp.exchange(port, "GET", "/v1/model", Map.of("Host", "[::1]:" + port), null).status());
    }

    @Test
    void crossSitePostsAreRefusedSameOriginOnesAnswered() throws Exception {
        int port = open.port();
        String body = "{\"prompt\": \"hi\"}";
        var cross = RawHttp.exchange(port, "POST", "/v1/tokenize", Map.of("Origin", "https://evil.example"), body);
        assertEquals(403, cross.status(), cross.body());
        assertTrue(cross.body().contains("cross-site"));
        assertEquals(403, RawHttp.exchange(port, "POST", "/v1/tokenize", Map.of("Origin", "null"), body).status());
        assertEquals(200, RawHttp.exchange(port, "POST", "/v1/tokenize", Map.of("Origin", "http://127.0.0.1:" + port), body).status());
        // with keys, a cross-site POST is refused even with a key
        var keyed = RawHttp.exchange(ts.server.port(), "POST", "/v1/tokenize",
                Map.of("Origin", "https://evil.example", "Authorization", "Bearer " + TestServer.KEY), body);
        assertEquals(403, keyed.status());
    }

    @Test
    void uiAndApiResponsesCarryAntiFramingAndNoSniffHeaders() throws Exception {
        for (String path : List.of("/ui/", "/v1/model", "/nope")) {
            var r = RawHttp.exchange(open.port(), "GET", path, Map.of(), null);
            assertEquals("nosniff", r.headers().get("x-content-type-options"), path);
            assertEquals("DENY", r.headers().get("x-frame-options"), path);
            assertTrue(r.headers().get("content-security-policy").contains("frame-ancestors 'none'"), path);
        }
        assertTrue(RawHttp.exchange(open.port(), "GET", "/ui/", Map.of(), null).headers().get("content-type").startsWith("text/html"));
    }

    @Test
    void keyProtectedServerProtectsMetrics() throws Exception {
        int port = ts.server.port();
        assertEquals(401, RawHttp.exchange(port, "GET", "/metrics", Map.of(), null).status());
        assertEquals(200, RawHttp.exchange(port, "GET", "/metrics", Map.of("Authorization", "Bearer " + TestServer.KEY), null).status());
        assertEquals(200, RawHttp.exchange(port, "GET", "/v1/openapi.json", Map.of(), null).status(), "the API description stays open");
    }

    @Test
    void declaredBodiesPastTheLimitAreRefusedUnread() throws Exception {
        var r = RawHttp.exchange(ts.server.port(), "POST", "/v1/tokenize", Map.of("Authorization", "Bearer " + TestServer.KEY, "Content-Length", "999999999"), null);
        assertEquals(413, r.status(), r.body());
    }
}
