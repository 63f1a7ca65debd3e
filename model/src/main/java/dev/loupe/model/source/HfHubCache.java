package dev.loupe.model.source;

import dev.loupe.model.format.AtomicFile;
import dev.loupe.model.format.FormatException;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.SafeTensorsIndex;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The Hugging Face Hub cache, in the layout {@code huggingface_hub} uses, so models downloaded by
 * Python are found here and vice versa:
 * <pre>
 * {root}/models--{org}--{name}/refs/{revision}        commit hash of a branch or tag
 * {root}/models--{org}--{name}/blobs/{etag}           file contents, named by their hash
 * {root}/models--{org}--{name}/snapshots/{commit}/{file} → ../../blobs/{etag}
 * </pre>
 */
public final class HfHubCache {
    /** Etags become file names, so only plain hash-like ones are used; others fall back to the content's SHA-256. */
    private static final Pattern ETAG = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private final Path root;

    public HfHubCache(Path root) {
        this.root = root;
    }

    /** The cache {@code huggingface_hub} would use: {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}. */
    public static HfHubCache fromEnvironment(Map<String, String> env) {
        String hubCache = env.get("HF_HUB_CACHE");
        if (hubCache != null && !hubCache.isBlank()) return new HfHubCache(Path.of(hubCache));
        String home = env.get("HF_HOME");
        if (home != null && !home.isBlank()) return new HfHubCache(Path.of(home, "hub"));
        return new HfHubCache(Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub"));
    }

    public Path root() {
        return root;
    }

    /** The snapshot folder of {@code id} if the cache holds a loadable one (config and all weights). */
    public Optional<Path> completeSnapshot(HubId id) throws IOException {
        Optional<String> commit = commit(id);
        if (commit.isEmpty()) return Optional.empty();
        Path snap = snapshotDir(id, commit.get());
        return isComplete(snap) ? Optional.of(snap) : Optional.empty();
    }

    /** The commit {@code id}'s revision points at in the cache: the revision itself if a hash, else {@code refs/{revision}}. */
    Optional<String> commit(HubId id) throws IOException {
        if (id.isCommit()) return Optional.of(id.revision());
        Path ref = repoDir(id).resolve("refs").resolve(id.revision());
        return Files.isRegularFile(ref) ? Optional.of(Files.readString(ref).trim()) : Optional.empty();
    }

    Path snapshotDir(HubId id, String commit) {
        return repoDir(id).resolve("snapshots").resolve(commit);
    }

    private Path repoDir(HubId id) {
        return root.resolve(id.cacheFolderName());
    }

    /** A snapshot is loadable when it has config.json and either model.safetensors or an index whose shards are all present. */
    static boolean isComplete(Path snapshot) throws IOException {
        if (!Files.isRegularFile(snapshot.resolve("config.json"))) return false;
        if (Files.isRegularFile(snapshot.resolve(SafeTensors.SINGLE_FILE))) return true;
        Path index = snapshot.resolve(SafeTensors.INDEX_FILE);
        if (!Files.isRegularFile(index)) return false;
        try {
            return SafeTensorsIndex.read(index).shards().stream().allMatch(s -> Files.isRegularFile(snapshot.resolve(s)));
        } catch (FormatException e) {
            return false;
        }
    }

    /** Records that {@code id}'s revision (a branch or tag) is at {@code commit}; call once its files are all in place. */
    void writeRef(HubId id, String commit) throws IOException {
        if (id.isCommit()) return;
        byte[] bytes = commit.getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(repoDir(id).resolve("refs").resolve(id.revision()), ch -> ch.write(ByteBuffer.wrap(bytes)));
    }

    /**
     * Stores {@code content} as a blob (named by {@code etag}, or by its SHA-256 when there is none)
     * and links it into the snapshot as {@code file}. Both steps are atomic renames, so an
     * interrupted download leaves no partial file under a real name.
     *
     * @param expectedBytes the length the server announced, or -1; a shorter body is an error
     */
    Path putFile(HubId id, String commit, String file, String etag, InputStream content, long expectedBytes, Progress progress)
            throws IOException {
        Path blobs = repoDir(id).resolve("blobs");
        Files.createDirectories(blobs);
        Path tmp = blobs.resolve(UUID.randomUUID() + ".incomplete");
        try {
            MessageDigest sha = sha256();
            long n;
            try (InputStream in = new DigestInputStream(content, sha);
                 FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                n = copy(in, out, progress);
                out.force(true);
            }
            if (expectedBytes >= 0 && n != expectedBytes) {
                throw new IOException(id + "/" + file + ": download ended after " + n + " of " + expectedBytes + " bytes");
            }
            boolean usable = etag != null && ETAG.matcher(etag).matches();
            Path blob = blobs.resolve(usable ? etag : HexFormat.of().formatHex(sha.digest()));
            move(tmp, blob);
            return link(snapshotDir(id, commit).resolve(file), blob);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Progress callback: bytes copied so far. */
    @FunctionalInterface
    interface Progress {
        void copied(long bytes);
    }

    private static long copy(InputStream in, FileChannel out, Progress progress) throws IOException {
        byte[] buf = new byte[1 << 16];
        long total = 0;
        for (int r; (r = in.read(buf)) > 0; ) {
            ByteBuffer b = ByteBuffer.wrap(buf, 0, r);
            while (b.hasRemaining()) out.write(b);
            total += r;
            progress.copied(total);
        }
        return total;
    }

    /** Points {@code target} at {@code blob} with a relative symlink, or a copy where links are not allowed. */
    private static Path link(Path target, Path blob) throws IOException {
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try {
                Files.createSymbolicLink(tmp, target.getParent().relativize(blob));
            } catch (UnsupportedOperationException | IOException e) {
                Files.copy(blob, tmp);
            }
            move(tmp, target);
            return target;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always provides SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "HfHubCache[" + root + "]";
    }
}
