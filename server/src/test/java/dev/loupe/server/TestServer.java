package dev.loupe.server;

import dev.loupe.interp.intervene.InterventionSpec;
import dev.loupe.interp.intervene.Interventions;
import dev.loupe.interp.intervene.TensorResolver;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.server.api.Limits;
import dev.loupe.server.client.LoupeClient;
import dev.loupe.server.http.ApiKeys;
import dev.loupe.server.sae.ServedSae;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/** A server on a free loopback port serving stories260K, with one API key, for the tests. */
final class TestServer implements AutoCloseable {
    static final String KEY = "test-key-0123456789abcdef";

    final LoadedModel model;
    final LoupeServer server;
    final LoupeClient client;
    final ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();

    TestServer(Limits limits, int maxBatchRows, int maxQueued) {
        this(limits, maxBatchRows, maxQueued, List.of());
    }

    /** @param saes {@code DIR} or {@code NAME=DIR} specs of SAEs to serve */
    TestServer(Limits limits, int maxBatchRows, int maxQueued, List<String> saes) {
        this(stories(), "stories260K", limits, maxBatchRows, maxQueued, saes);
    }

    /** A server of {@code model}, named {@code name}. */
    TestServer(LoadedModel model, String name, Limits limits, int maxBatchRows, int maxQueued, List<String> saes) {
        this.model = model;
        try {
            List<ServedSae> served = new java.util.ArrayList<>();
            for (String s : saes) served.add(ServedSae.load(s, model.transformer()));
            server = new LoupeServer(model, name, served, new LoupeServer.Config("127.0.0.1", 0, ApiKeys.of(List.of(KEY)), limits,
                    maxBatchRows, maxQueued), log::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        client = new LoupeClient(uri(), KEY);
    }

    private static LoadedModel stories() {
        try {
            var bin = SharedModels.path("stories260K/stories260K.bin");
            return ModelLoader.load(bin.toString(), bin.resolveSibling("tok512.bin"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    TestServer() {
        this(Limits.DEFAULT, 32, 256);
    }

    /** Hooks running a JSON array of interventions as the library compiles them, for in-process reference runs. */
    Hooks.Builder interventions(String jsonArray) {
        var spec = InterventionSpec.parse("{\"version\": 1, \"interventions\": " + jsonArray + "}");
        return Interventions.compile(spec, model.transformer(), TensorResolver.EMPTY, model::tokens).addTo(Hooks.builder(model.transformer().hooks()));
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.port() + "/");
    }

    @Override
    public void close() {
        server.close();
    }
}
