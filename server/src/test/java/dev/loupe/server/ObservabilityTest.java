package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.server.client.LoupeClient;
import dev.loupe.server.http.Body;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.TreeSet;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAPI document covers every route; metrics, request logs and JFR events record what happened. */
class ObservabilityTest {
    @Test
    void openApiDescribesEveryRoute(@TempDir Path tmp) throws Exception {
        try (TestServer ts = new TestServer(); Recording rec = new Recording()) {
            rec.enable("dev.loupe.server.Phase");
            rec.start();
            JsonNode doc = Body.JSON.readTree(Http.send(ts, HttpRequest.newBuilder(ts.uri().resolve("/v1/openapi.json"))).body());
            assertEquals("3.0.3", doc.get("openapi").asText());
            TreeSet<String> paths = new TreeSet<>();
            for (Iterator<String> it = doc.get("paths").fieldNames(); it.hasNext(); ) paths.add(it.next());
            assertEquals(new TreeSet<>(java.util.List.of("/v1/openapi.json", "/v1/model", "/v1/hooks", "/v1/tokenize", "/v1/detokenize", "/v1/run",
                    "/v1/gradients", "/v1/generate", "/v1/lens", "/v1/saes", "/v1/saes/{name}/features", "/v1/saes/{name}/features/{id}", "/v1/sae/encode",
                    "/v1/sae/decode", "/v1/trace", "/v1/values", "/v1/attribute", "/v1/attribute/qk", "/v1/features/intervene", "/v1/transcoders/{layer}/{feature}", "/metrics", "/ui/")),
                    paths);

            ts.client.run(LoupeClient.request().put("prompt", "Once upon a time").set("cache", Body.JSON.readTree("[\"blocks.0.hook_resid_post\"]")));
            ts.client.post("/v1/tokenize", LoupeClient.request().put("prompt", "Once"));
            String metrics = new String(Http.send(ts, HttpRequest.newBuilder(ts.uri().resolve("/metrics")).header("Authorization", "Bearer " + TestServer.KEY)).body(), StandardCharsets.UTF_8);
            for (String m : new String[] {"loupe_requests_total{route=\"/v1/run\",status=\"200\"} 1", "loupe_request_seconds_bucket{route=\"/v1/run\",le=\"+Inf\"} 1",
                    "loupe_queue_depth 0", "loupe_batch_rows_count 1", "loupe_tokens_per_second", "loupe_queue_wait_seconds_count 1"}) {
                assertTrue(metrics.contains(m), "metrics lack " + m + ":\n" + metrics);
            }
            JsonNode line = Body.JSON.readTree(ts.log.stream().filter(l -> l.contains("/v1/run")).findFirst().orElseThrow());
            assertEquals(200, line.get("status").asInt());
            assertEquals("POST", line.get("method").asText());
            assertEquals(1, line.get("batch_rows").asInt());
            assertTrue(line.get("bytes_out").asLong() > 0 && line.has("ms") && line.has("ts") && line.get("key").asText().length() == 8);

            rec.stop();
            Path file = tmp.resolve("phases.jfr");
            rec.dump(file);
            TreeSet<String> phases = new TreeSet<>();
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) phases.add(e.getString("phase"));
            assertTrue(phases.containsAll(java.util.List.of("queued", "forward", "serialize")), phases.toString());
            assertTrue(Files.size(file) > 0);
        }
    }
}
