package dev.loupe.server.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import dev.loupe.server.obs.Metrics;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The model thread runs cheap jobs before costly ones that arrived earlier (one client's long passes do not hold up
 * everyone's short ones), but a costly job overtaken for {@link Scheduler#OVERTAKE_NANOS} runs next (nothing starves).
 */
class SchedulerFairnessTest {
    static final HookedTransformer MODEL = SharedModels.load("stories260K/stories260K.bin");

    /** Holds the model thread until {@code release} opens, so that the jobs after it queue up. */
    private static CompletableFuture<String> hold(Scheduler s, CountDownLatch running, CountDownLatch release) {
        CompletableFuture<String> f = new CompletableFuture<>();
        s.submit(new SoloJob<>("hold", deadline(), 1, () -> {
            running.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "hold";
        }, f));
        return f;
    }

    private static CompletableFuture<String> job(Scheduler s, String name, long cost, List<String> order) {
        CompletableFuture<String> f = new CompletableFuture<>();
        s.submit(new SoloJob<>(name, deadline(), cost, () -> {
            order.add(name);
            return name;
        }, f));
        return f;
    }

    private static long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    }

    @Test
    void cheapJobsPassCostlyOnesThatCameFirst() throws Exception {
        try (Scheduler s = new Scheduler(MODEL, new Scheduler.Settings(4, 16), new Metrics())) {
            CountDownLatch running = new CountDownLatch(1), release = new CountDownLatch(1);
            hold(s, running, release);
            running.await();
            List<String> order = new CopyOnWriteArrayList<>();
            List<CompletableFuture<String>> jobs = List.of(job(s, "resample-256", 256, order), job(s, "patterns-256", 256, order),
                    job(s, "run-13", 13, order), job(s, "run-5", 5, order));
            release.countDown();
            for (CompletableFuture<String> f : jobs) f.get(30, TimeUnit.SECONDS);
            assertEquals(List.of("run-5", "run-13", "resample-256", "patterns-256"), order);
        }
    }

    @Test
    void aCostlyJobOvertakenLongEnoughRunsNext() throws Exception {
        try (Scheduler s = new Scheduler(MODEL, new Scheduler.Settings(4, 16), new Metrics())) {
            CountDownLatch running = new CountDownLatch(1), release = new CountDownLatch(1);
            hold(s, running, release);
            running.await();
            List<String> order = new CopyOnWriteArrayList<>();
            job(s, "costly", 256, order);
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(Scheduler.OVERTAKE_NANOS) + 50);
            CompletableFuture<String> cheap = job(s, "cheap", 5, order);
            release.countDown();
            cheap.get(30, TimeUnit.SECONDS);
            assertEquals(List.of("costly", "cheap"), order);
        }
    }
}
