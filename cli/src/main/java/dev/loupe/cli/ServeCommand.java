package dev.loupe.cli;

import dev.loupe.model.LoadedModel;
import dev.loupe.server.LoupeServer;
import dev.loupe.server.api.Limits;
import dev.loupe.server.http.ApiKeys;
import dev.loupe.server.sae.ServedSae;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Path;
import java.util.Set;

/** {@code loupe serve}: one model's internals over HTTP for notebooks, with a web UI. */
final class ServeCommand implements Command {
    @Override
    public String name() {
        return "serve";
    }

    @Override
    public String summary() {
        return "serve a model's internals over HTTP (API /v1, web UI /ui/)";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe serve --model SRC [--tokenizer FILE] [--sae [NAME=]DIR ...] [--name NAME] [--port 7070] [--host 127.0.0.1]
                               [--api-keys FILE] [--max-tokens N] [--max-new-tokens N] [--max-response-mb N]
                               [--timeout-s S] [--max-batch ROWS] [--max-queue JOBS] [--allow-host NAME ...]
            Serves the model at http://HOST:PORT: the API under /v1 (described at /v1/openapi.json), the web UI
            at /ui/, Prometheus metrics at /metrics. Requests are micro-batched (--max-batch 1 turns it off).
            API keys: one per line in --api-keys FILE, or comma-separated in LOUPE_API_KEYS; without either the
            API is open. With keys, /v1 and /metrics need the key; the UI's static pages (/ui/, which hold no data
            and ask for the key to call /v1) and /v1/openapi.json stay open. Without keys the server answers only
            Host names it knows (localhost, its address, IP literals, --allow-host NAME), so a web page elsewhere
            cannot reach it by DNS rebinding; requests that change state from another site's Origin are refused.
            Each request is logged as one JSON line on stdout.
              --sae [NAME=]DIR     serve a sparse autoencoder (SAELens layout; repeatable); a features.db from
                                   'loupe sae features' beside it adds feature dashboards (default name: the folder)
              --transcoders DIR    transcoders (circuit-tracer folder): attribution graphs (/v1/attribute, the UI's
                                   Graph tab), QK attribution (/v1/attribute/qk) and feature edits (/v1/features/intervene);
                                   DIR/features/layer_{i}.db from 'loupe sae features --transcoders' add feature dashboards
              --transcoder-features DIR2  read those stores from DIR2 instead
              --name NAME          the model's name in the API (default: the file or folder name)
              --max-tokens N       longest input in tokens (default 1024)
              --max-new-tokens N   most tokens one generation may ask for (default 256)
              --max-response-mb N  largest response (default 64)
              --timeout-s S        time limit per request, queueing included (default 60)
              --allow-host NAME    a further Host name a keyless server answers (repeatable)
            """ + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0, ModelOptions.with("sae", "name", "port", "host", "api-keys", "max-tokens", "max-new-tokens",
                "max-response-mb", "timeout-s", "max-batch", "max-queue", "transcoders", "transcoder-features", "allow-host"), Set.of());
        LoadedModel m = ModelOptions.load(args);
        String name = args.get("name") != null ? args.get("name") : m.source().getFileName().toString();
        Limits d = Limits.DEFAULT;
        Limits limits = new Limits(args.intOr("max-tokens", d.maxTokens()), args.intOr("max-new-tokens", d.maxNewTokens()),
                (long) args.intOr("max-response-mb", (int) (d.maxResponseBytes() >> 20)) << 20, d.maxCacheBytes(), d.maxBodyBytes(),
                1000L * args.intOr("timeout-s", (int) (d.timeoutMillis() / 1000)));
        ApiKeys keys = args.get("api-keys") != null ? ApiKeys.fromFile(Path.of(args.get("api-keys"))) : ApiKeys.fromEnvironment();
        LoupeServer.Config cfg = new LoupeServer.Config(args.get("host") != null ? args.get("host") : "127.0.0.1", args.intOr("port", 7070), keys,
                limits, args.intOr("max-batch", 32), args.intOr("max-queue", 256), args.all("allow-host"));
        List<ServedSae> saes = new ArrayList<>();
        for (String s : args.all("sae")) saes.add(ServedSae.load(s, m.transformer()));
        if (args.has("transcoder-features") && !args.has("transcoders")) throw new Args.UsageException("serve: --transcoder-features needs --transcoders");
        var transcoders = args.has("transcoders") ? dev.loupe.server.circuits.ServedTranscoders.load(Path.of(args.get("transcoders")),
                args.has("transcoder-features") ? Path.of(args.get("transcoder-features")) : null) : null;
        LoupeServer server = new LoupeServer(m, name, saes, transcoders, cfg, System.out::println);
        System.err.println("loupe: serving " + name + " at http://" + cfg.host() + ":" + server.port() + "/ (UI /ui/, API /v1, "
                + (keys.required() ? "API keys required" : "no API keys: open to anyone who can reach the port") + ")");
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        Thread.currentThread().join();
        return 0;
    }
}
