package dev.loupe.cli;

import dev.loupe.core.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A STREAM-style read bandwidth of this machine, for the decode benchmark's "percent of bandwidth": passes
 * summing a buffer far larger than the caches, split across Loupe's threads as a decode step splits its
 * weights. The buffer lives off the heap (it is freed at once and never counts against the model's heap) and
 * is written before it is read, so no pass pays for page faults. The summing loop is compiled before the first
 * timed pass (it runs many times over a cache-sized slice first) and keeps eight independent integer
 * accumulators, so it issues loads far faster than memory delivers them: the figure is the memory's, not the
 * loop's.
 *
 * @param medianBytesPerSecond the median pass
 * @param minBytesPerSecond the slowest pass
 * @param maxBytesPerSecond the fastest pass
 * @param bufferBytes bytes read per pass
 * @param passes timed passes
 */
record ReadBandwidth(double medianBytesPerSecond, double minBytesPerSecond, double maxBytesPerSecond, long bufferBytes,
                     int passes) {
    private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED;
    /** Bytes each thread's range is counted in: a multiple of eight vectors. */
    private static final int BLOCK = 4096;
    private static final int WARMUP_CALLS = 20_000, WARMUP_BYTES = 64 * 1024;

    /** Reads a buffer of {@code bytes} (rounded down to 4 KiB) {@code passes} times after the warm-up. */
    static ReadBandwidth measure(long bytes, int passes) {
        long blocks = bytes / BLOCK;
        if (blocks < 1 || blocks > Integer.MAX_VALUE || passes < 1) {
            throw new IllegalArgumentException("read bandwidth: " + bytes + " bytes, " + passes + " passes");
        }
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(blocks * BLOCK, 64);
            Parallel.forRange((int) blocks, 1, (b0, b1) ->
                    buf.asSlice((long) b0 * BLOCK, (long) (b1 - b0) * BLOCK).fill((byte) 1)); // touch every page
            MemorySegment slice = buf.asSlice(0, Math.min(WARMUP_BYTES, blocks * BLOCK));
            long sink = 0;
            for (int i = 0; i < WARMUP_CALLS; i++) sink += sum(slice, 0, slice.byteSize());
            double[] rates = new double[passes];
            long[] sums = new long[Parallel.threads()];
            for (int p = 0; p < passes; p++) {
                long t0 = System.nanoTime();
                Parallel.forRange((int) blocks, 1, (b0, b1) ->
                        sums[(int) ((long) b0 * sums.length / blocks)] += sum(buf, (long) b0 * BLOCK, (long) b1 * BLOCK));
                rates[p] = blocks * BLOCK / ((System.nanoTime() - t0) / 1e9);
            }
            for (long s : sums) sink += s;
            if (sink == 42) System.err.print(""); // keeps the sums alive
            Arrays.sort(rates);
            double median = passes % 2 == 1 ? rates[passes / 2] : (rates[passes / 2 - 1] + rates[passes / 2]) / 2;
            return new ReadBandwidth(median, rates[0], rates[passes - 1], blocks * BLOCK, passes);
        }
    }

    /** The lanes of {@code buf[from, to)} summed as ints (to - from a multiple of eight vectors). */
    private static long sum(MemorySegment buf, long from, long to) {
        ByteOrder order = ByteOrder.nativeOrder();
        long step = S.vectorByteSize();
        IntVector a0 = IntVector.zero(S), a1 = IntVector.zero(S), a2 = IntVector.zero(S), a3 = IntVector.zero(S);
        IntVector a4 = IntVector.zero(S), a5 = IntVector.zero(S), a6 = IntVector.zero(S), a7 = IntVector.zero(S);
        for (long i = from; i < to; i += 8 * step) {
            a0 = a0.add(IntVector.fromMemorySegment(S, buf, i, order));
            a1 = a1.add(IntVector.fromMemorySegment(S, buf, i + step, order));
            a2 = a2.add(IntVector.fromMemorySegment(S, buf, i + 2 * step, order));
            a3 = a3.add(IntVector.fromMemorySegment(S, buf, i + 3 * step, order));
            a4 = a4.add(IntVector.fromMemorySegment(S, buf, i + 4 * step, order));
            a5 = a5.add(IntVector.fromMemorySegment(S, buf, i + 5 * step, order));
            a6 = a6.add(IntVector.fromMemorySegment(S, buf, i + 6 * step, order));
            a7 = a7.add(IntVector.fromMemorySegment(S, buf, i + 7 * step, order));
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).reduceLanesToLong(VectorOperators.ADD);
    }

    /** "GB/s median (min–max of N passes over M MiB)". */
    String describe() {
        return String.format("%.2f GB/s median (%.2f–%.2f over %d passes of %d MiB)", medianBytesPerSecond / 1e9,
                minBytesPerSecond / 1e9, maxBytesPerSecond / 1e9, passes, bufferBytes >> 20);
    }
}
