package dev.loupe.server.trace;

import dev.loupe.interp.trace.TraceValue;
import dev.loupe.server.http.ApiError;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Values traces saved with {@code store}, kept on the server under a name per API key so later traces can read them
 * ({@code {"op": "stored"}}) without a download and re-upload. Each value lives {@code ttlMillis} after its last use;
 * each key may hold at most {@code quotaBytes}.
 */
public final class ValueStore {
    /** A stored value and when it expires (System.nanoTime()). */
    public record Entry(TraceValue value, long expires) {
        public long bytes() {
            return 4L * value.tensor().numel();
        }
    }

    private final long ttlMillis;
    private final long quotaBytes;
    private final Map<String, Map<String, Entry>> byKey = new LinkedHashMap<>();

    public ValueStore(long ttlMillis, long quotaBytes) {
        this.ttlMillis = ttlMillis;
        this.quotaBytes = quotaBytes;
    }

    public long quotaBytes() {
        return quotaBytes;
    }

    public long ttlMillis() {
        return ttlMillis;
    }

    /** The value stored as {@code name} for {@code key} (its lifetime renewed), or null. */
    public synchronized TraceValue get(String key, String name) {
        Map<String, Entry> m = live(key);
        Entry e = m.get(name);
        if (e == null) return null;
        m.put(name, new Entry(e.value(), expiry()));
        return e.value();
    }

    /** Bytes {@code key} holds now. */
    public synchronized long used(String key) {
        return live(key).values().stream().mapToLong(Entry::bytes).sum();
    }

    /** Refuses (413) when storing {@code adding} (name → bytes) would take {@code key} past its quota. */
    public synchronized void checkRoom(String key, Map<String, Long> adding) {
        Map<String, Entry> m = live(key);
        long after = used(key);
        for (var a : adding.entrySet()) {
            Entry old = m.get(a.getKey());
            after += a.getValue() - (old == null ? 0 : old.bytes());
        }
        if (after > quotaBytes) {
            throw ApiError.tooLarge("storing " + adding.keySet() + " would hold " + after + " bytes for this key; the quota is " + quotaBytes
                    + " (delete stored values with POST /v1/values {\"delete\": [names]})");
        }
    }

    public synchronized void put(String key, String name, TraceValue v) {
        checkRoom(key, Map.of(name, 4L * v.tensor().numel()));
        live(key).put(name, new Entry(v, expiry()));
    }

    public synchronized int delete(String key, Iterable<String> names) {
        int n = 0;
        Map<String, Entry> m = live(key);
        for (String s : names) if (m.remove(s) != null) n++;
        return n;
    }

    /** The key's live values by name. */
    public synchronized Map<String, Entry> list(String key) {
        return new LinkedHashMap<>(live(key));
    }

    private Map<String, Entry> live(String key) {
        long now = System.nanoTime();
        Map<String, Entry> m = byKey.computeIfAbsent(key, k -> new LinkedHashMap<>());
        m.values().removeIf(e -> e.expires() - now < 0);
        return m;
    }

    private long expiry() {
        return System.nanoTime() + ttlMillis * 1_000_000L;
    }
}
