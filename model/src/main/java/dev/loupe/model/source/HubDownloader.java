package dev.loupe.model.source;

import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.SafeTensorsIndex;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Downloads what Loupe needs of a Hub model into an {@link HfHubCache}: {@code config.json},
 * the tokenizer files that exist, and the safetensors weights (single file, or index plus
 * shards), from {@code {baseUrl}/{repo}/resolve/{revision}/{file}}. Files already in the
 * snapshot are skipped, so an interrupted download resumes file by file; the revision's ref is
 * written last, so a partial snapshot is never taken for a complete one.
 *
 * <p>Redirects (the Hub sends large files to a CDN) are followed by hand so that the bearer
 * token is only ever sent to the base URL's host.
 */
public final class HubDownloader {
    /** Fetched when present; a 404 is fine. */
    static final List<String> OPTIONAL_FILES = List.of("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
            "special_tokens_map.json", "generation_config.json");
    private static final int MAX_REDIRECTS = 10;

    private final URI baseUrl;
    private final String token;
    private final PrintStream progress;
    private final HttpClient http;

    /**
     * @param baseUrl  the Hub, e.g. {@code https://huggingface.co}
     * @param token    access token for gated or private models, or null
     * @param progress where progress lines go (stderr for the CLI)
     */
    public HubDownloader(URI baseUrl, String token, PrintStream progress) {
        this.baseUrl = URI.create(baseUrl.toString().replaceAll("/+$", "") + "/");
        this.token = token == null || token.isBlank() ? null : token.strip();
        this.progress = progress;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(20)).build();
    }

    public URI baseUrl() {
        return baseUrl;
    }

    /** Downloads {@code id} into {@code cache} (skipping files already there) and returns its snapshot folder. */
    public Path download(HubId id, HfHubCache cache) throws IOException {
        Fetched config = fetch(id, "config.json");
        if (config == null) throw new ModelSourceException("model '" + id + "' has no config.json at " + url(id, "config.json"));
        String commit = config.commit != null ? config.commit : cache.commit(id).orElse(id.isCommit() ? id.revision() : null);
        if (commit == null) {
            config.body.close();
            throw new ModelSourceException(url(id, "config.json") + " did not say which commit it is (no X-Repo-Commit header)");
        }
        Path snapshot = cache.snapshotDir(id, commit);
        store(id, cache, commit, "config.json", config);
        for (String f : OPTIONAL_FILES) fetchInto(id, cache, commit, f);
        if (!fetchInto(id, cache, commit, SafeTensors.SINGLE_FILE)) {
            if (!fetchInto(id, cache, commit, SafeTensors.INDEX_FILE)) {
                throw new ModelSourceException("model '" + id + "' has neither " + SafeTensors.SINGLE_FILE + " nor "
                        + SafeTensors.INDEX_FILE + " at " + url(id, "") + " (PyTorch .bin checkpoints are not supported)");
            }
            for (String shard : SafeTensorsIndex.read(snapshot.resolve(SafeTensors.INDEX_FILE)).shards()) {
                if (!fetchInto(id, cache, commit, shard)) throw new ModelSourceException(url(id, shard) + ": shard listed in the index is missing");
            }
        }
        cache.writeRef(id, commit);
        return snapshot;
    }

    /** Fetches {@code file} into the snapshot unless already there; false when the Hub has no such file. */
    private boolean fetchInto(HubId id, HfHubCache cache, String commit, String file) throws IOException {
        if (Files.isRegularFile(cache.snapshotDir(id, commit).resolve(file))) return true;
        Fetched f = fetch(id, file);
        if (f == null) return false;
        store(id, cache, commit, file, f);
        return true;
    }

    private void store(HubId id, HfHubCache cache, String commit, String file, Fetched f) throws IOException {
        Path existing = cache.snapshotDir(id, commit).resolve(file);
        if (Files.isRegularFile(existing)) {
            f.body.close();
            return;
        }
        String what = id.repo() + "/" + file;
        long[] lastReport = {System.nanoTime()};
        progress.println("loupe: downloading " + what + (f.length >= 0 ? " (" + mib(f.length) + ")" : ""));
        try (InputStream body = f.body) {
            cache.putFile(id, commit, file, f.etag, body, f.length, n -> {
                long now = System.nanoTime();
                if (now - lastReport[0] > 2_000_000_000L) {
                    lastReport[0] = now;
                    progress.println("loupe:   " + what + ": " + mib(n) + (f.length > 0 ? " of " + mib(f.length) : ""));
                }
            });
        }
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }

    /** The open response for {@code file} after redirects, or null on 404. */
    private Fetched fetch(HubId id, String file) throws IOException {
        URI uri = url(id, file);
        String commit = null, etag = null;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).header("User-Agent", "loupe");
            if (token != null && sameOrigin(uri, baseUrl)) req.header("Authorization", "Bearer " + token);
            HttpResponse<InputStream> r;
            try {
                r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while downloading " + uri, e);
            }
            commit = r.headers().firstValue("X-Repo-Commit").orElse(commit);
            etag = r.headers().firstValue("X-Linked-Etag").or(() -> r.headers().firstValue("ETag")).map(HubDownloader::cleanEtag).orElse(etag);
            int status = r.statusCode();
            if (status / 100 == 3) {
                r.body().close();
                Optional<String> location = r.headers().firstValue("Location");
                if (location.isEmpty()) throw new IOException(uri + ": redirect " + status + " without a Location");
                uri = uri.resolve(location.get());
                continue;
            }
            if (status == 200) return new Fetched(r.body(), commit, etag, r.headers().firstValueAsLong("Content-Length").orElse(-1));
            r.body().close();
            if (status == 404) return null;
            if (status == 401 || status == 403) {
                throw new ModelSourceException(uri + ": HTTP " + status + "; the model may be gated or private"
                        + (token == null ? ": set HF_TOKEN to an access token" : " and HF_TOKEN does not grant access"));
            }
            throw new IOException(uri + ": HTTP " + status);
        }
        throw new IOException(url(id, file) + ": more than " + MAX_REDIRECTS + " redirects");
    }

    private record Fetched(InputStream body, String commit, String etag, long length) {}

    private static String cleanEtag(String etag) {
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        return e.replace("\"", "");
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort();
    }

    private URI url(HubId id, String file) {
        return baseUrl.resolve(id.repo() + "/resolve/" + URLEncoder.encode(id.revision(), StandardCharsets.UTF_8) + "/" + file);
    }
}
