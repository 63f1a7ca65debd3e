package dev.loupe.core;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.ArrayList;
import java.util.List;

/** Loupe's one worker pool: splits index ranges across the machine's cores. */
public final class Parallel {
    private static final int THREADS = Integer.getInteger("loupe.threads", Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS) : null;
    private static final ThreadLocal<Boolean> IN_REGION = ThreadLocal.withInitial(() -> false);

    private Parallel() {}

    /** Body of a parallel loop over the half-open range [lo, hi). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int lo, int hi);
    }

    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over [0, n) split into at most {@link #threads()} contiguous chunks, each a
     * multiple of {@code grain} (except the last). Runs inline when there is one chunk or when already
     * inside a parallel region (nested loops do not fan out again).
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        int units = (n + g - 1) / g;
        int chunks = Math.min(THREADS, units);
        if (chunks <= 1 || POOL == null || ForkJoinTask.inForkJoinPool() || IN_REGION.get()) {
            body.run(0, n);
            return;
        }
        List<ForkJoinTask<?>> tasks = new ArrayList<>(chunks - 1);
        for (int c = 1; c < chunks; c++) {
            int lo = (int) ((long) units * c / chunks) * g;
            int hi = Math.min(n, (int) ((long) units * (c + 1) / chunks) * g);
            if (lo >= hi) continue;
            tasks.add(POOL.submit(() -> body.run(lo, hi)));
        }
        IN_REGION.set(true);
        try {
            body.run(0, Math.min(n, (int) ((long) units / chunks) * g));
        } finally {
            IN_REGION.set(false);
        }
        for (ForkJoinTask<?> t : tasks) t.join();
    }
}
