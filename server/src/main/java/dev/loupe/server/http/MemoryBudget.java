package dev.loupe.server.http;

/**
 * Bytes of heap the requests in flight may hold at once: request bodies as they are read and parsed, and encoded
 * responses until the client has taken them (a slow reader holds its response that long). Each request reserves
 * what its size says before allocating it; when the budget is spent the request is refused with 503 and a
 * Retry-After, instead of many large requests together exhausting the heap. Large reservations (over 1 MiB)
 * together may hold at most half the budget, so a few clients holding big responses open (slow readers) cannot
 * starve everyone else's small requests.
 */
public final class MemoryBudget {
    static final long LARGE = 1 << 20;

    private final long capacity;
    private long used, usedLarge;

    public MemoryBudget(long capacity) {
        this.capacity = capacity;
    }

    /** A budget of a fraction of the maximum heap. */
    public static MemoryBudget ofHeap(double fraction) {
        return new MemoryBudget((long) (Runtime.getRuntime().maxMemory() * fraction));
    }

    public long capacity() {
        return capacity;
    }

    public synchronized long used() {
        return used;
    }

    synchronized boolean tryReserve(long bytes) {
        if (bytes > capacity - used) return false;
        if (bytes > LARGE) {
            if (bytes > capacity / 2 - usedLarge) return false;
            usedLarge += bytes;
        }
        used += bytes;
        return true;
    }

    synchronized void release(long bytes) {
        used -= bytes;
        if (bytes > LARGE) usedLarge -= bytes;
    }
}
