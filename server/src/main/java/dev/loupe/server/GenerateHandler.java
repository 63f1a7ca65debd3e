package dev.loupe.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.server.api.ModelApi;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.http.Body;
import dev.loupe.server.http.Call;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /v1/generate}: with {@code Accept: text/event-stream} (or {@code "stream": true}) each token is sent
 * as it is chosen, as a {@code token} event carrying the id and the text it adds, then one {@code done} event
 * (or an {@code error} event); otherwise one JSON answer at the end.
 */
final class GenerateHandler {
    private final ModelApi api;

    GenerateHandler(ModelApi api) {
        this.api = api;
    }

    void handle(Call c, Body b) throws IOException {
        String accept = c.header("Accept");
        boolean stream = (accept != null && accept.contains("text/event-stream")) || b.bool("stream", false);
        ModelApi.Generation g = api.generation(b, c.id());
        if (!stream) {
            c.json(200, done(g.prompt(), api.finish(api.start(g, t -> true))));
            return;
        }
        Text text = new Text();
        CompletableFuture<Call.EventStream> opened = new CompletableFuture<>();
        CompletableFuture<int[]> started = api.start(g, token -> {
            ObjectNode o = Body.JSON.createObjectNode();
            o.put("token", token).put("text", text.add(token));
            Call.EventStream es = opened.join();
            return es != null && es.send("token", o);
        });
        try (Call.EventStream es = c.events()) {
            opened.complete(es);
            try {
                es.send("done", done(g.prompt(), api.finish(started)));
            } catch (ApiError e) {
                es.send("error", Body.JSON.createObjectNode().put("status", e.status()).put("message", e.getMessage()));
            }
        } finally {
            opened.complete(null);
        }
    }

    private ObjectNode done(int[] prompt, int[] tokens) {
        ObjectNode o = Body.JSON.createObjectNode();
        o.put("model", api.name());
        ArrayNode p = o.putArray("prompt_tokens");
        for (int t : prompt) p.add(t);
        ArrayNode a = o.putArray("tokens");
        for (int t : tokens) a.add(t);
        String text = api.decode(tokens);
        if (text != null) o.put("text", text);
        return o;
    }

    /** The text each new token adds, decoding the whole continuation so multi-byte characters join correctly. */
    private final class Text {
        private int[] ids = new int[0];
        private int printed;

        String add(int token) {
            ids = Arrays.copyOf(ids, ids.length + 1);
            ids[ids.length - 1] = token;
            String all = api.decode(ids);
            if (all == null || all.length() <= printed) return "";
            String piece = all.substring(printed);
            printed = all.length();
            return piece;
        }
    }
}
