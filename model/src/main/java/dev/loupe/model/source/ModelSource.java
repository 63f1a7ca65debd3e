package dev.loupe.model.source;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Turns what a user types for a model into a local folder or file: an existing path is used as
 * is; anything else is read as a Hub id ({@code gpt2}, {@code org/name}, {@code org/name@revision})
 * and looked up in the Hugging Face cache, downloading it there when a {@link HubDownloader} is
 * configured and the cache lacks it.
 */
public final class ModelSource {
    private final HfHubCache cache;
    private final HubDownloader downloader;

    /** @param downloader null to work offline: only local paths and cached models resolve */
    public ModelSource(HfHubCache cache, HubDownloader downloader) {
        this.cache = cache;
        this.downloader = downloader;
    }

    /**
     * Configured as {@code huggingface_hub} would be by {@code env}: cache from {@code HF_HUB_CACHE} /
     * {@code HF_HOME}, Hub at {@code HF_ENDPOINT} (default https://huggingface.co), token from
     * {@code HF_TOKEN}, and no downloads when {@code HF_HUB_OFFLINE} is set to 1/true.
     */
    public static ModelSource fromEnvironment(Map<String, String> env, PrintStream progress) {
        String offline = env.getOrDefault("HF_HUB_OFFLINE", "");
        boolean online = !(offline.equals("1") || offline.equalsIgnoreCase("true") || offline.equalsIgnoreCase("yes"));
        String endpoint = env.getOrDefault("HF_ENDPOINT", "https://huggingface.co");
        HubDownloader downloader = online ? new HubDownloader(URI.create(endpoint), env.get("HF_TOKEN"), progress) : null;
        return new ModelSource(HfHubCache.fromEnvironment(env), downloader);
    }

    /** {@link #fromEnvironment(Map, PrintStream)} with the process environment, progress on stderr. */
    public static ModelSource fromEnvironment() {
        return fromEnvironment(System.getenv(), System.err);
    }

    public HfHubCache cache() {
        return cache;
    }

    /** The local folder or file {@code src} names; see the class comment for the rules. */
    public Path resolve(String src) throws IOException {
        Path local = Path.of(src.startsWith("~/") ? System.getProperty("user.home") + src.substring(1) : src);
        if (Files.exists(local)) return local;
        Optional<HubId> id = looksLikePath(src) ? Optional.empty() : HubId.parse(src);
        if (id.isEmpty()) throw new ModelSourceException("model '" + src + "': no such file or folder");
        Optional<Path> cached = cache.completeSnapshot(id.get());
        if (cached.isPresent()) return cached.get();
        String notHere = "model '" + src + "' is not a local path and not in the Hugging Face cache at " + cache.root();
        if (downloader == null) throw new ModelSourceException(notHere + "; connect to the network or pass a folder");
        try {
            return downloader.download(id.get(), cache);
        } catch (ConnectException | UnknownHostException | HttpConnectTimeoutException e) {
            throw new ModelSourceException(notHere + ", and " + downloader.baseUrl() + " is unreachable (" + e
                    + "); connect to the network or pass a folder", e);
        }
    }

    /** Path-like strings are never taken for Hub ids, so a typo in a path is reported as a missing path. */
    private static boolean looksLikePath(String src) {
        String repo = src.contains("@") ? src.substring(0, src.indexOf('@')) : src;
        boolean nested = repo.chars().filter(c -> c == '/').count() > 1;
        return nested || src.startsWith(".") || src.startsWith("/") || src.startsWith("~") || src.contains("\\")
                || src.endsWith(".bin") || src.endsWith(".safetensors") || src.endsWith(".json");
    }
}
