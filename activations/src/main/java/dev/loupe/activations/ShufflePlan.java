package dev.loupe.activations;

/**
 * How a shuffle splits its memory budget. Pass 1 holds a read block of source rows plus one write buffer
 * per bucket; pass 2 holds one bucket (records plus an int permutation) and one output shard. The bucket
 * count is chosen so the expected bucket takes 40% of the budget (leaving room for random fluctuation),
 * output shards take at most a quarter, and pass 1's buffers at most three eighths.
 *
 * @param buckets number of on-disk buckets (K)
 * @param readRows source rows read per block in pass 1
 * @param bufferBytes write buffer per bucket in pass 1 (a whole number of records: a row and its 8-byte hash)
 * @param outShardRows rows per output shard
 */
public record ShufflePlan(int buckets, int readRows, int bufferBytes, int outShardRows) {
    public static ShufflePlan of(long rows, int rowBytes, int sourceShardRows, long memory) {
        long perRow = rowBytes + 8L + 4L; // record (row + its hash) and a permutation entry
        long minimum = 16L * perRow + 64L * (rowBytes + 8);
        if (memory < minimum) throw new IllegalArgumentException("--memory " + memory + " bytes is too small for rows of " + rowBytes + " bytes");
        long k = Math.max(1, ceilDiv(rows * perRow, (long) (0.4 * memory)));
        if (k > 100_000) throw new IllegalArgumentException("--memory is too small for this store: it would need " + k + " buckets; give more memory");
        int readRows = (int) Math.max(1, Math.min(sourceShardRows, memory / 8 / rowBytes));
        long buf = Math.min(4L << 20, memory / 4 / k);
        int recBytes = rowBytes + 8;
        int bufferBytes = (int) Math.max(recBytes, buf / recBytes * recBytes);
        int outRows = (int) Math.max(1, Math.min(Math.max(1, sourceShardRows), memory / 4 / rowBytes));
        return new ShufflePlan((int) k, readRows, bufferBytes, outRows);
    }

    /** The same plan writing output shards of {@code rows} rows (a resumed shuffle keeps its first run's shards). */
    public ShufflePlan withOutShardRows(int rows) {
        return new ShufflePlan(buckets, readRows, bufferBytes, rows);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
