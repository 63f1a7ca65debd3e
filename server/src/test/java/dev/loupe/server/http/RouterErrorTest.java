package dev.loupe.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.loupe.server.obs.Metrics;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Only the caller's mistakes are 4xx: an internal failure is a 500 naming the request id, and the log has the details under it. */
class RouterErrorTest {
    @Test
    void internalErrorsAre500WithAnIdTheLogCarries() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        Router r = new Router(ApiKeys.none(), new SameOrigin("127.0.0.1", false, List.of()), new MemoryBudget(1L << 30), new Metrics(), log::add);
        r.get("/boom", false, c -> {
            throw new IllegalStateException("a bug, not the caller's fault");
        });
        r.get("/bad", false, c -> {
            throw ApiError.badRequest("field x: expected a number");
        });
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", r);
        server.start();
        try (HttpClient http = HttpClient.newHttpClient()) {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            HttpResponse<String> boom = http.send(HttpRequest.newBuilder(URI.create(base + "/boom")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(500, boom.statusCode());
            String message = Body.JSON.readTree(boom.body()).path("error").path("message").asText();
            String id = message.replaceFirst("^internal error in request (\\S+) .*$", "$1");
            assertTrue(!id.equals(message) && !message.contains("a bug"), message);
            JsonNode line = Body.JSON.readTree(firstLine(log));
            assertEquals(id, line.path("id").asText());
            assertTrue(line.path("error").asText().contains("IllegalStateException: a bug, not the caller's fault"), line.toString());
            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(base + "/bad")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, bad.statusCode());
            assertTrue(bad.body().contains("field x: expected a number"));
        } finally {
            server.stop(0);
        }
    }

    /**
     * The first log line, waiting up to 10 s for it: the response body is complete when the handler closes it, so the
     * client can read the response before the router's finally block writes the line.
     */
    private static String firstLine(List<String> log) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (log.isEmpty() && System.nanoTime() < deadline) Thread.sleep(5);
        assertTrue(!log.isEmpty(), "no log line within 10 s");
        return log.getFirst();
    }
}
