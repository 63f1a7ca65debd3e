package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.sae.Sae;
import dev.loupe.server.api.Limits;
import dev.loupe.server.client.LoupeClient;
import dev.loupe.server.http.Body;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SAE endpoints on stories260K with a small TopK SAE and its feature store, against the library in process. */
class SaeApiTest {
    static final String HOOK = TinySae.HOOK;
    static final String PROMPT = "Once upon a time, there was a little girl named Lily";
    @TempDir
    static Path dir;
    static TestServer ts;
    static Sae sae;

    @BeforeAll
    static void start() throws Exception {
        Path saeDir = dir.resolve("topk");
        sae = TinySae.write(saeDir);
        ts = new TestServer(Limits.DEFAULT, 32, 256, List.of("tiny=" + saeDir));
    }

    @AfterAll
    static void stop() {
        if (ts != null) ts.close();
    }

    @Test
    void listsTheSae() throws Exception {
        JsonNode s = ts.client.get("/v1/saes").get("saes").get(0);
        assertEquals("tiny", s.get("name").asText());
        assertEquals(HOOK, s.get("hook").asText());
        assertEquals(128, s.get("d_sae").asInt());
        assertTrue(s.get("features").asBoolean());
    }

    @Test
    void encodeEqualsTheLibrary() throws Exception {
        ObjectNode r = LoupeClient.request().put("prompt", PROMPT).put("sae", "tiny").put("topk", 8);
        r.putArray("features").add(3).add(17);
        LoupeClient.Result res = ts.client.run(r.deepCopy().put("sae", "tiny"), "/v1/sae/encode");
        ActivationCache cache = new ActivationCache();
        ts.model.transformer().runWithCache(new int[][] {ts.model.tokens(PROMPT)}, List.of(HOOK), cache);
        Tensor codes = sae.encode(cache.get(HOOK)); // [1, pos, 128]
        int pos = codes.size(1);
        Tensor acts = res.get("acts");
        for (int p = 0; p < pos; p++) {
            assertEquals(codes.get(0, p, 3), acts.get(p, 0));
            assertEquals(codes.get(0, p, 17), acts.get(p, 1));
            long[] idx = res.ints().get("top.indices");
            for (int k = 0; k < 8; k++) assertEquals(codes.get(0, p, (int) idx[p * 8 + k]), res.get("top.values").get(p, k));
        }
    }

    @Test
    void decodeAndSteerWithAFeatureDirection() throws Exception {
        ObjectNode r = LoupeClient.request().put("sae", "tiny");
        r.putObject("features").put("5", 2.0);
        Tensor v = ts.client.run(r, "/v1/sae/decode").get("vector");
        float[] dense = new float[128];
        dense[5] = 2f;
        assertArrayEquals(sae.decode(Tensor.of(dense, 1, 128)).data(), v.data());

        String spec = "[{\"hook\": \"" + HOOK + "\", \"op\": \"add\", \"vector\": {\"ref\": \"sae:tiny:5\"}, \"scale\": 4}]";
        ObjectNode g = LoupeClient.request().put("prompt", PROMPT);
        g.putArray("cache").add("logits");
        g.set("interventions", Body.JSON.readTree(spec));
        Tensor got = ts.client.run(g).get("logits");
        var c = dev.loupe.interp.intervene.Interventions.compile(dev.loupe.interp.intervene.InterventionSpec.parse("{\"version\": 1, \"interventions\": " + spec + "}"),
                ts.model.transformer(), dev.loupe.interp.intervene.TensorResolver.of(java.util.Map.of("sae:tiny:5",
                        Tensor.of(java.util.Arrays.copyOfRange(sae.wDec().data(), 5 * 64, 6 * 64), 64))), null);
        Tensor want = ts.model.transformer().forward(new int[][] {ts.model.tokens(PROMPT)}, c.hooks(), null, ForwardOptions.FULL);
        assertArrayEquals(want.data(), got.data());
    }

    /** Dictionary work is model work: encode and decode are jobs on the scheduler (its queue, time and memory limits), not request-thread work. */
    @Test
    void encodeAndDecodeRunAsScheduledJobs() throws Exception {
        long before = jobsTaken();
        ObjectNode d = LoupeClient.request().put("sae", "tiny");
        d.putObject("features").put("5", 2.0);
        ts.client.run(d, "/v1/sae/decode");
        assertEquals(before + 1, jobsTaken(), "decode is one scheduled job");
        ts.client.run(LoupeClient.request().put("prompt", PROMPT).put("sae", "tiny").put("topk", 2), "/v1/sae/encode");
        assertEquals(before + 3, jobsTaken(), "encode is the forward pass and the encoding, both scheduled");
    }

    /** Jobs the scheduler has taken from its queue so far (the count of its queue-wait histogram). */
    private static long jobsTaken() throws Exception {
        String metrics = new String(Http.send(ts, HttpRequest.newBuilder(ts.uri().resolve("/metrics")).header("Authorization", "Bearer " + TestServer.KEY)).body());
        for (String line : metrics.split("\n")) if (line.startsWith("loupe_queue_wait_seconds_count")) return Long.parseLong(line.split(" ")[1].strip());
        throw new AssertionError("no loupe_queue_wait_seconds_count in /metrics:\n" + metrics);
    }

    @Test
    void featureDashboardAndErrors() throws Exception {
        JsonNode top = ts.client.get("/v1/saes/tiny/features");
        int id = top.get("features").get(0).get("id").asInt();
        JsonNode f = ts.client.get("/v1/saes/tiny/features/" + id);
        assertTrue(f.get("fire_count").asLong() > 0);
        assertTrue(f.get("examples").size() > 0 && f.get("examples").get(0).get("tokens").isArray());
        assertEquals(3, f.get("logit_effects").get("positive").size());
        assertEquals(64, f.get("decoder").size());
        assertTrue(f.get("histogram").size() > 0);
        HttpResponse<byte[]> r = Http.send(ts, HttpRequest.newBuilder(ts.uri().resolve("/v1/saes/nope/features/1")).header("Authorization", "Bearer " + TestServer.KEY));
        assertEquals(404, r.statusCode());
        assertTrue(new String(r.body()).contains("[tiny]"));
        r = Http.post(ts, "/v1/sae/encode", "{\"sae\": \"../../etc/x\", \"prompt\": \"hi\"}", "application/json");
        assertEquals(400, r.statusCode());
        assertTrue(new String(r.body()).contains("looks like a file path"));
        r = Http.post(ts, "/v1/sae/decode", "{\"sae\": \"tiny\", \"features\": {\"999\": 1}}", "application/json");
        assertEquals(400, r.statusCode());
        assertTrue(new String(r.body()).contains("outside 0..127"));
    }
}
