package dev.loupe.server;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.server.api.Limits;
import dev.loupe.server.http.ApiKeys;
import java.nio.file.Path;
import java.util.List;

/** A keyless stories260K server in a process of its own, for {@link AttackMixTest}: prints "PORT n" and serves until killed. */
public final class AttackServerMain {
    static final Limits LIMITS = new Limits(256, 32, 16L << 20, 64L << 20, 1 << 20, 20_000);

    private AttackServerMain() {}

    public static void main(String[] args) throws Exception {
        Path bin = SharedModels.ROOT.resolve("stories260K/stories260K.bin");
        LoadedModel m = ModelLoader.load(bin.toString(), bin.resolveSibling("tok512.bin"));
        LoupeServer s = new LoupeServer(m, "stories260K", List.of(), new LoupeServer.Config("127.0.0.1", 0, ApiKeys.none(), LIMITS, 32, 64), line -> {});
        System.out.println("PORT " + s.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}
