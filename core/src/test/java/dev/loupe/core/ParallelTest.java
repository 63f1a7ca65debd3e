package dev.loupe.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void everyIndexRunsOnceInGrainAlignedChunks() {
        for (int n : new int[] {1, 2, 3, 17, 64, 1000}) {
            for (int grain : new int[] {1, 4, 64}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(n);
                Parallel.forRange(n, grain, (lo, hi) -> {
                    if (lo % grain != 0) throw new AssertionError("chunk starts at " + lo + " with grain " + grain);
                    for (int i = lo; i < hi; i++) seen.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertEquals(1, seen.get(i), "n " + n + ", grain " + grain + ", index " + i);
            }
        }
    }

    @Test
    void aChunksExceptionReachesTheCallerAndThePoolStaysUsable() {
        IllegalStateException boom = new IllegalStateException("boom");
        for (int failing : new int[] {0, 99}) { // the caller's chunk, the last chunk (a worker's when there are workers)
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(100, 1, (lo, hi) -> {
                if (lo <= failing && failing < hi) throw boom;
            }));
            assertSame(boom, e);
        }
        AtomicIntegerArray seen = new AtomicIntegerArray(100);
        Parallel.forRange(100, 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) seen.incrementAndGet(i);
        });
        for (int i = 0; i < 100; i++) assertEquals(1, seen.get(i));
    }

    @Test
    void nestedAndConcurrentLoopsCoverTheirRanges() throws InterruptedException {
        int callers = 4, n = 256;
        AtomicIntegerArray seen = new AtomicIntegerArray(callers * n * n);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            int base = t * n * n;
            Thread thread = new Thread(() -> {
                for (int round = 0; round < 20; round++) {
                    int r = round;
                    Parallel.forRange(n, 1, (lo, hi) -> {
                        for (int i = lo; i < hi; i++) {
                            int row = i;
                            Parallel.forRange(n, 8, (a, b) -> {
                                if (r == 0) for (int j = a; j < b; j++) seen.incrementAndGet(base + row * n + j);
                            });
                        }
                    });
                }
            });
            thread.setUncaughtExceptionHandler((th, e) -> {
                synchronized (failures) {
                    failures.add(e);
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) thread.join();
        assertEquals(List.of(), failures);
        for (int i = 0; i < seen.length(); i++) assertEquals(1, seen.get(i), "index " + i);
    }
}
