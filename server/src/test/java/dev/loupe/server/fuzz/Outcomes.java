package dev.loupe.server.fuzz;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a parser may do with a hostile input: accept it, or refuse it with the error it documents (an
 * {@link IOException} for a file, an {@link IllegalArgumentException} for a value, a 4xx for a request). Anything
 * else — a NullPointerException, an index or arithmetic error, an OutOfMemoryError, a 500, an input that takes more
 * than {@link #SLOW_NANOS} — fails the property, and jqwik reports the input's seed. Counts executions per target
 * for BENCHMARKS.md.
 */
final class Outcomes {
    static final long SLOW_NANOS = 10_000_000_000L;

    private static final Map<String, AtomicLong[]> STATS = new ConcurrentHashMap<>();

    private Outcomes() {}

    /** A parse attempt. */
    @FunctionalInterface
    interface Attempt {
        void run() throws Exception;
    }

    /** Runs {@code a}; documented refusals pass, everything else is rethrown. */
    static void check(String target, Attempt a) throws Exception {
        long t0 = System.nanoTime();
        try {
            a.run();
        } catch (IOException | IllegalArgumentException expected) {
            // a clean refusal naming what was wrong
        } finally {
            long dt = System.nanoTime() - t0;
            AtomicLong[] s = STATS.computeIfAbsent(target, k -> new AtomicLong[] {new AtomicLong(), new AtomicLong()});
            s[0].incrementAndGet();
            s[1].addAndGet(dt);
            if (dt > SLOW_NANOS) throw new AssertionError(target + ": one input took " + dt / 1_000_000 + " ms");
        }
    }

    /** One line per target: executions, time spent in the parser, executions per second. */
    static String report() {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(STATS).forEach((t, s) -> sb.append(String.format("FUZZ %-14s %6d executions in %6.2f s: %8.0f/s%n", t, s[0].get(),
                s[1].get() / 1e9, s[0].get() / Math.max(1e-9, s[1].get() / 1e9))));
        return sb.toString();
    }
}
