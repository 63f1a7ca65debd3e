package dev.loupe.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.loupe.server.obs.Metrics;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Dispatches requests by method and path, checks the API key, turns every failure into a JSON error with the
 * right status (the server itself stays up), and records each request: one JSON log line and its metrics.
 */
public final class Router implements HttpHandler {
    /** A route's body. */
    @FunctionalInterface
    public interface Handler {
        void handle(Call c) throws IOException;
    }

    private record Route(String method, boolean auth, Handler handler) {}

    private final Map<String, Route> exact = new LinkedHashMap<>();
    private final Map<String, Route> prefixes = new LinkedHashMap<>();
    private final ApiKeys keys;
    private final SameOrigin origins;
    private final MemoryBudget budget;
    private final Metrics metrics;
    private final Consumer<String> log;
    private final AtomicLong ids = new AtomicLong();

    public Router(ApiKeys keys, SameOrigin origins, MemoryBudget budget, Metrics metrics, Consumer<String> log) {
        this.keys = keys;
        this.origins = origins;
        this.budget = budget;
        this.metrics = metrics;
        this.log = log;
    }

    public void get(String path, boolean auth, Handler h) {
        exact.put(path, new Route("GET", auth, h));
    }

    /** A POST route under the API key. */
    public void post(String path, Handler h) {
        exact.put(path, new Route("POST", true, h));
    }

    /** GET of every path under {@code prefix} (static files; resources named in the path). */
    public void prefix(String prefix, boolean auth, Handler h) {
        prefixes.put(prefix, new Route("GET", auth, h));
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        long t0 = System.nanoTime();
        Call c = new Call(ex, "r" + ids.incrementAndGet(), budget);
        String route = c.path();
        String key = "-";
        String failure = null;
        try {
            origins.check(c);
            Route r = exact.get(c.path());
            if (r == null) {
                for (var e : prefixes.entrySet()) {
                    if (c.path().startsWith(e.getKey())) {
                        r = e.getValue();
                        route = e.getKey() + "*";
                    }
                }
            }
            if (r == null) {
                route = "unknown";
                throw new ApiError(404, "no endpoint " + c.path() + "; the API is described at /v1/openapi.json");
            }
            if (!r.method().equals(c.method())) {
                c.header("Allow", r.method());
                throw new ApiError(405, c.path() + " takes " + r.method() + ", not " + c.method());
            }
            if (r.auth()) key = keys.check(c.header("Authorization"));
            r.handler().handle(c);
        } catch (ApiError e) {
            error(c, e.status(), e.getMessage(), e.retryAfterSeconds());
        } catch (IOException e) {
            if (!c.responded()) error(c, 400, "could not read the request: " + e.getMessage(), 0);
        } catch (RuntimeException e) {
            // not the caller's mistake: the details go to the log under the request id, the caller gets the id
            StackTraceElement[] at = e.getStackTrace();
            failure = e + (at.length > 0 ? " at " + at[0] : "");
            error(c, 500, "internal error in request " + c.id() + " (the server log has the details under that id)", 0);
        } catch (OutOfMemoryError e) { // what this request allocated is garbage now; the server keeps serving
            error(c, 503, "the server ran out of memory for this request; retry shortly, or ask for less", 1);
        } catch (StackOverflowError e) {
            error(c, 400, "the request is nested too deeply", 0);
        } finally {
            c.releaseAll();
            double seconds = (System.nanoTime() - t0) / 1e9;
            metrics.request(route, c.status(), seconds);
            log.accept(logLine(c, key, seconds, failure)); // after the response is sent: a caller may read it before this line
            ex.close();
        }
    }

    private static void error(Call c, int status, String message, int retryAfter) {
        if (c.responded()) return; // a stream already started; it carries its own error event
        try {
            if (retryAfter > 0) c.header("Retry-After", Integer.toString(retryAfter));
            ObjectNode o = Body.JSON.createObjectNode();
            o.putObject("error").put("status", status).put("message", message);
            c.json(status, o);
        } catch (IOException ignored) {
            // the client is gone
        }
    }

    private static String logLine(Call c, String key, double seconds, String failure) {
        ObjectNode o = Body.JSON.createObjectNode();
        o.put("ts", Instant.now().toString()).put("id", c.id()).put("method", c.method()).put("path", c.path())
                .put("status", c.status()).put("ms", Math.round(seconds * 1e4) / 10.0).put("bytes_in", c.bytesIn())
                .put("bytes_out", c.bytesOut()).put("key", key);
        if (failure != null) o.put("error", failure);
        if (!c.note().isEmpty()) {
            String[] kv = c.note().split("=", 2);
            o.put(kv[0], kv[1]);
        }
        return o.toString();
    }
}
