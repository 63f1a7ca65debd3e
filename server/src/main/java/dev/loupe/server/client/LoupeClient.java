package dev.loupe.server.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.WeightStore;
import dev.loupe.server.http.Body;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A Java client of a Loupe server: requests are the API's JSON objects, arrays come back as {@link Tensor}s
 * (fetched as safetensors, so float32 values arrive bit for bit), generation streams token by token.
 */
public final class LoupeClient {
    private final HttpClient http = HttpClient.newHttpClient();
    private final URI base;
    private final String apiKey;

    /** @param apiKey the Bearer key, or null for a server without keys */
    public LoupeClient(URI base, String apiKey) {
        this.base = base;
        this.apiKey = apiKey;
    }

    /** A failed call: the server's status and message. */
    public static final class ApiException extends IOException {
        private final int status;

        ApiException(int status, String message) {
            super(status + ": " + message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** The arrays of a response by name (int64 arrays as float32 values too) and its JSON fields. */
    public record Result(Map<String, Tensor> tensors, Map<String, long[]> ints, Map<String, String> fields) {
        public Tensor get(String name) {
            Tensor t = tensors.get(name);
            if (t == null) throw new IllegalArgumentException("no array '" + name + "' in the response; got " + tensors.keySet());
            return t;
        }
    }

    public static ObjectNode request() {
        return Body.JSON.createObjectNode();
    }

    public JsonNode get(String path) throws IOException {
        return Body.JSON.readTree(send(builder(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray()).body());
    }

    public JsonNode post(String path, ObjectNode body) throws IOException {
        return Body.JSON.readTree(send(json(path, body).build(), HttpResponse.BodyHandlers.ofByteArray()).body());
    }

    /** {@code POST /v1/run}: activations after the request's reductions. */
    public Result run(ObjectNode body) throws IOException {
        return tensors("/v1/run", body);
    }

    /** Any endpoint that answers with arrays ({@code /v1/sae/encode}, {@code /v1/sae/decode}, ...). */
    public Result run(ObjectNode body, String path) throws IOException {
        return tensors(path, body);
    }

    /** {@code POST /v1/gradients}: gradients, with the objective's value in {@code fields().get("value")}. */
    public Result gradients(ObjectNode body) throws IOException {
        return tensors("/v1/gradients", body);
    }

    /** {@code POST /v1/generate} streamed: {@code onToken} sees each token id as it arrives; returns the final answer. */
    public JsonNode generate(ObjectNode body, Consumer<Integer> onToken) throws IOException {
        HttpResponse<InputStream> r = send(json("/v1/generate", body).header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String event = null;
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("event: ")) event = line.substring(7);
                else if (line.startsWith("data: ")) {
                    JsonNode data = Body.JSON.readTree(line.substring(6));
                    switch (event) {
                        case "token" -> onToken.accept(data.get("token").asInt());
                        case "done" -> {
                            return data;
                        }
                        case "error" -> throw new ApiException(data.get("status").asInt(), data.get("message").asText());
                        default -> { }
                    }
                }
            }
        }
        throw new IOException("the event stream ended without a 'done' event");
    }

    private Result tensors(String path, ObjectNode body) throws IOException {
        byte[] bytes = send(json(path, body).header("Accept", "application/vnd.safetensors").build(), HttpResponse.BodyHandlers.ofByteArray()).body();
        try (WeightStore st = SafeTensors.read(path + " response", bytes)) {
            Map<String, Tensor> ts = new LinkedHashMap<>();
            Map<String, long[]> ints = new LinkedHashMap<>();
            for (String n : st.names()) {
                if (st.info(n).dtype() == DType.I64) ints.put(n, st.longs(n));
                else ts.put(n, st.tensor(n));
            }
            return new Result(ts, ints, st.metadata());
        }
    }

    private HttpRequest.Builder builder(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
        if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        return b;
    }

    private HttpRequest.Builder json(String path, ObjectNode body) throws IOException {
        return builder(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(Body.JSON.writeValueAsBytes(body)));
    }

    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) throws IOException {
        HttpResponse<T> r;
        try {
            r = http.send(req, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (r.statusCode() != 200) {
            Object b = r.body();
            byte[] bytes = b instanceof byte[] a ? a : b instanceof InputStream s ? s.readAllBytes() : new byte[0];
            String msg = new String(bytes, StandardCharsets.UTF_8);
            try {
                msg = Body.JSON.readTree(bytes).path("error").path("message").asText(msg);
            } catch (IOException ignored) {
                // not JSON: keep the raw text
            }
            throw new ApiException(r.statusCode(), msg);
        }
        return r;
    }
}
