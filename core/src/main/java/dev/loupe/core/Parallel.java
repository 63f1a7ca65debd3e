package dev.loupe.core;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Loupe's one worker pool: splits index ranges across the machine's cores. Its workers keep polling for a short
 * while after each chunk before they sleep, so the many short loops of a decode step (a few hundred microseconds
 * each) start on every core at once instead of after a sleeping thread's wake-up (12 microseconds median on this
 * virtual machine through a ForkJoinPool, and the core that starts late finishes last). They poll with
 * {@link Thread#yield}, not a busy spin: on a loaded machine a spinning thread sharing a core with the one it
 * waits for kept it off that core for the whole spin.
 */
public final class Parallel {
    private static final int THREADS = Integer.getInteger("loupe.threads", Runtime.getRuntime().availableProcessors());
    /** How long an idle worker polls for the next chunk before it sleeps. */
    private static final long POLL_NANOS = 200_000;
    /** How long a loop's caller waits for the workers' chunks, yielding, before it sleeps. */
    private static final long CALLER_YIELD_NANOS = 1_000_000;
    private static final Worker[] WORKERS = new Worker[Math.max(0, THREADS - 1)];
    /** Held by the one loop that has the workers; a loop started while another runs runs on its own thread. */
    private static final AtomicBoolean BUSY = new AtomicBoolean();
    private static final ThreadLocal<Boolean> IN_REGION = ThreadLocal.withInitial(() -> false);

    static {
        for (int i = 0; i < WORKERS.length; i++) {
            WORKERS[i] = new Worker();
            WORKERS[i].setName("loupe-parallel-" + (i + 1));
            WORKERS[i].setDaemon(true);
            WORKERS[i].start();
        }
    }

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
     * multiple of {@code grain} (except the last). Runs inline when there is one chunk, when already
     * inside a parallel region (nested loops do not fan out again) or while another thread's loop has the workers.
     * An exception thrown by any chunk is rethrown here after every chunk has ended.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        int units = (n + g - 1) / g;
        int chunks = Math.min(THREADS, units);
        if (chunks <= 1 || IN_REGION.get() || !BUSY.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            Thread caller = Thread.currentThread();
            for (int c = 1; c < chunks; c++) {
                int lo = (int) ((long) units * c / chunks) * g;
                int hi = Math.min(n, (int) ((long) units * (c + 1) / chunks) * g);
                WORKERS[c - 1].give(body, lo, hi, caller);
            }
            Throwable failure = null;
            IN_REGION.set(true);
            try {
                body.run(0, Math.min(n, (int) ((long) units / chunks) * g));
            } catch (RuntimeException | Error e) {
                failure = e;
            } finally {
                IN_REGION.set(false);
            }
            for (int c = 1; c < chunks; c++) {
                Throwable t = WORKERS[c - 1].await();
                if (failure == null) failure = t;
                else if (t != null) failure.addSuppressed(t);
            }
            if (failure instanceof RuntimeException e) throw e;
            if (failure instanceof Error e) throw e;
        } finally {
            BUSY.set(false);
        }
    }

    /** One worker thread: runs the chunk it is given, then polls, then sleeps until the next. */
    private static final class Worker extends Thread {
        private volatile RangeBody body;
        private volatile boolean done = true;
        private int lo, hi;
        private Thread caller;
        private Throwable failure;

        void give(RangeBody b, int from, int to, Thread waiter) {
            lo = from;
            hi = to;
            caller = waiter;
            failure = null;
            done = false;
            body = b; // publishes the fields above
            LockSupport.unpark(this);
        }

        /** Waits for the chunk given by {@link #give}, yielding, then sleeping; its exception, or null. */
        Throwable await() {
            long start = System.nanoTime();
            while (!done) {
                long waited = System.nanoTime() - start;
                if (waited < CALLER_YIELD_NANOS) Thread.yield();
                else LockSupport.park(this);
            }
            return failure;
        }

        @Override
        public void run() {
            IN_REGION.set(true);
            while (true) {
                RangeBody b = body;
                long until = System.nanoTime() + POLL_NANOS;
                while (b == null) {
                    if (System.nanoTime() < until) Thread.yield();
                    else LockSupport.park(this);
                    b = body;
                }
                try {
                    b.run(lo, hi);
                } catch (Throwable t) {
                    failure = t;
                }
                Thread waiter = caller;
                body = null;
                done = true; // publishes failure
                LockSupport.unpark(waiter);
            }
        }
    }
}
