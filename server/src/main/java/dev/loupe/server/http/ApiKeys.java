package dev.loupe.server.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The API keys a server accepts, fixed at start-up from a file (one key per line, {@code #} comments) or the
 * {@code LOUPE_API_KEYS} environment variable (comma-separated). With no keys the API is open (for a laptop);
 * with keys every {@code /v1} call needs {@code Authorization: Bearer KEY}. Keys are compared by SHA-256 digest
 * in constant time, and logs name a key only by a digest prefix.
 */
public final class ApiKeys {
    private final List<byte[]> digests;

    private ApiKeys(List<byte[]> digests) {
        this.digests = digests;
    }

    public static ApiKeys none() {
        return new ApiKeys(List.of());
    }

    public static ApiKeys of(List<String> keys) {
        List<byte[]> d = new ArrayList<>();
        for (String k : keys) {
            String t = k.strip();
            if (t.isEmpty() || t.startsWith("#")) continue;
            if (t.length() < 16) throw new IllegalArgumentException("API key '" + t.substring(0, Math.min(4, t.length())) + "...' is shorter than 16 characters");
            d.add(sha256(t));
        }
        return new ApiKeys(List.copyOf(d));
    }

    public static ApiKeys fromFile(Path file) throws IOException {
        ApiKeys k = of(Files.readAllLines(file, StandardCharsets.UTF_8));
        if (k.digests.isEmpty()) throw new IllegalArgumentException(file + ": no API keys (one per line expected)");
        return k;
    }

    /** Keys from {@code LOUPE_API_KEYS} (comma-separated), or none. */
    public static ApiKeys fromEnvironment() {
        String v = System.getenv("LOUPE_API_KEYS");
        return v == null || v.isBlank() ? none() : of(List.of(v.split(",")));
    }

    public boolean required() {
        return !digests.isEmpty();
    }

    /**
     * Checks an Authorization header value; returns a short key id for logs ("-" when keys are not required).
     *
     * @throws ApiError 401 when the header is missing, malformed, or names no configured key
     */
    public String check(String authorization) {
        if (!required()) return "-";
        if (authorization == null) throw new ApiError(401, "missing API key: send 'Authorization: Bearer KEY'");
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) throw new ApiError(401, "malformed Authorization header: expected 'Bearer KEY'");
        byte[] d = sha256(authorization.substring(7).strip());
        boolean ok = false;
        for (byte[] k : digests) ok |= MessageDigest.isEqual(k, d);
        if (!ok) throw new ApiError(401, "invalid API key");
        return HexFormat.of().formatHex(d, 0, 4);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
