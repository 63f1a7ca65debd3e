package dev.loupe.model.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.loupe.core.Tensor;
import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.Checkpoints;
import dev.loupe.model.format.SafeTensorsIndex;
import dev.loupe.model.format.SafeTensorsWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads from a fake Hub served in-process on 127.0.0.1; no real network. */
class HubDownloaderTest {
    private static final String COMMIT = "fedcba9876543210fedcba9876543210fedcba98";

    @TempDir
    Path tmp;

    private HttpServer server;
    private String base;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    /** Authorization header seen per request path ("" when absent). */
    private final Map<String, String> auth = new ConcurrentHashMap<>();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        base = "http://127.0.0.1:" + server.getAddress().getPort();
        server.createContext("/", this::serve);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    /**
     * Serves {@code /{repo}/resolve/main/{file}} like the Hub: X-Repo-Commit and ETag headers;
     * ".safetensors" files are redirected (302) to {@code /cdn/...} on host "localhost", as the Hub
     * sends large files to its CDN, with the hash in X-Linked-Etag.
     */
    private void serve(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        auth.put(path, String.valueOf(ex.getRequestHeaders().getFirst("Authorization")).replace("null", ""));
        if (path.startsWith("/private/")) {
            ex.sendResponseHeaders(401, -1);
            ex.close();
            return;
        }
        String key = path.startsWith("/cdn/") ? path.substring(4) : path.replace("/resolve/main/", "/");
        byte[] body = files.get(key);
        if (body == null) {
            ex.sendResponseHeaders(404, -1);
        } else if (!path.startsWith("/cdn/") && key.endsWith(".safetensors")) {
            ex.getResponseHeaders().add("X-Repo-Commit", COMMIT);
            ex.getResponseHeaders().add("X-Linked-Etag", "\"sha256-" + key.replace('/', '_') + "\"");
            ex.getResponseHeaders().add("Location", "http://localhost:" + server.getAddress().getPort() + "/cdn" + key);
            ex.sendResponseHeaders(302, -1);
        } else {
            if (!path.startsWith("/cdn/")) {
                ex.getResponseHeaders().add("X-Repo-Commit", COMMIT);
                ex.getResponseHeaders().add("ETag", "W/\"git-" + key.replace('/', '_') + "\"");
            }
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
        }
        ex.close();
    }

    private byte[] safetensors(String name, float value) throws IOException {
        Path p = tmp.resolve("src-" + name + ".safetensors");
        new SafeTensorsWriter().add(name, Tensor.of(new float[] {value, value}, 2)).write(p);
        return Files.readAllBytes(p);
    }

    private ModelSource online(String token) {
        return new ModelSource(new HfHubCache(tmp.resolve("hub")), new HubDownloader(URI.create(base), token, new PrintStream(log, true)));
    }

    @Test
    void downloadsIntoTheCacheLayoutThenResolvesOffline() throws Exception {
        files.put("/org/tiny/config.json", "{\"model_type\": \"llama\"}".getBytes(StandardCharsets.UTF_8));
        files.put("/org/tiny/tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8));
        files.put("/org/tiny/model.safetensors", safetensors("w", 3));

        Path snap = online("secret").resolve("org/tiny");
        Path repo = tmp.resolve("hub/models--org--tiny");
        assertEquals(repo.resolve("snapshots").resolve(COMMIT), snap);
        assertEquals(COMMIT, Files.readString(repo.resolve("refs/main")));
        assertTrue(Files.isSymbolicLink(snap.resolve("model.safetensors")));
        assertEquals(repo.resolve("blobs/sha256-_org_tiny_model.safetensors"), snap.resolve("model.safetensors").toRealPath());
        assertEquals(repo.resolve("blobs/git-_org_tiny_config.json"), snap.resolve("config.json").toRealPath());
        assertTrue(Files.isRegularFile(snap.resolve("tokenizer.json")));
        assertFalse(Files.exists(snap.resolve("merges.txt")), "absent optional files are skipped");
        try (Stream<Path> blobs = Files.list(repo.resolve("blobs"))) {
            assertEquals(3, blobs.filter(p -> !p.toString().endsWith(".incomplete")).count());
        }
        try (Checkpoint c = Checkpoints.open(snap)) {
            assertArrayEquals(new float[] {3, 3}, c.weights().tensor("w").data());
        }
        assertTrue(log.toString().contains("loupe: downloading org/tiny/model.safetensors"), log.toString());

        assertEquals("Bearer secret", auth.get("/org/tiny/resolve/main/model.safetensors"));
        assertEquals("", auth.get("/cdn/org/tiny/model.safetensors"), "the token must not follow a redirect to another host");

        files.clear();
        assertEquals(snap, new ModelSource(new HfHubCache(tmp.resolve("hub")), null).resolve("org/tiny"));
    }

    @Test
    void downloadsShardedCheckpoints() throws Exception {
        files.put("/org/big/config.json", "{\"model_type\": \"llama\"}".getBytes(StandardCharsets.UTF_8));
        files.put("/org/big/model-1.safetensors", safetensors("a", 1));
        files.put("/org/big/model-2.safetensors", safetensors("b", 2));
        Path index = tmp.resolve("index.json");
        SafeTensorsIndex.write(index, Map.of("a", "model-1.safetensors", "b", "model-2.safetensors"), Map.of());
        files.put("/org/big/model.safetensors.index.json", Files.readAllBytes(index));

        Path snap = online(null).resolve("org/big");
        try (Checkpoint c = Checkpoints.open(snap)) {
            assertArrayEquals(new float[] {1, 1}, c.weights().tensor("a").data());
            assertArrayEquals(new float[] {2, 2}, c.weights().tensor("b").data());
        }
        assertEquals("", auth.get("/org/big/resolve/main/config.json"), "no token configured, none sent");
    }

    @Test
    void missingModelAndMissingWeightsAreExplained() {
        ModelSourceException e = assertThrows(ModelSourceException.class, () -> online(null).resolve("org/none"));
        assertEquals("model 'org/none' has no config.json at " + base + "/org/none/resolve/main/config.json", e.getMessage());
        files.put("/org/noweights/config.json", "{}".getBytes(StandardCharsets.UTF_8));
        e = assertThrows(ModelSourceException.class, () -> online(null).resolve("org/noweights"));
        assertTrue(e.getMessage().contains("has neither model.safetensors nor model.safetensors.index.json"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("hub/models--org--noweights/refs/main")), "no ref for an incomplete snapshot");
    }

    @Test
    void gatedModelsAskForAToken() {
        ModelSourceException e = assertThrows(ModelSourceException.class, () -> online(null).resolve("private/model"));
        assertTrue(e.getMessage().endsWith("HTTP 401; the model may be gated or private: set HF_TOKEN to an access token"), e.getMessage());
    }

    @Test
    void unreachableHubGivesTheOfflineError() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        ModelSource source = new ModelSource(new HfHubCache(tmp.resolve("hub")),
                new HubDownloader(URI.create("http://127.0.0.1:" + closedPort), null, new PrintStream(log, true)));
        ModelSourceException e = assertThrows(ModelSourceException.class, () -> source.resolve("gpt2"));
        assertTrue(e.getMessage().startsWith("model 'gpt2' is not a local path and not in the Hugging Face cache at " + tmp.resolve("hub")
                + ", and http://127.0.0.1:" + closedPort + "/ is unreachable"), e.getMessage());
        assertTrue(e.getMessage().endsWith("; connect to the network or pass a folder"), e.getMessage());
        assertEquals(List.of(), List.of(log.toString().lines().toArray()));
    }
}
