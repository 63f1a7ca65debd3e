package dev.loupe.model.tokenizer;

/**
 * Rank-based {@link MergeRules}: an open-addressing hash map from the id pair (packed as one
 * long) to the packed rule. Avoids boxing on the hot path of byte-level BPE.
 */
final class PairRankTable implements MergeRules {
    private static final long EMPTY = Long.MIN_VALUE;
    private final long[] keys;
    private final long[] values;
    private final int mask;
    private int size;

    PairRankTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new long[cap];
        java.util.Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFF_FFFFL);
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    /** Adds a merge unless the pair already has one (the first, lowest rank, wins). */
    boolean putIfAbsent(int left, int right, int rank, int mergedId) {
        long k = key(left, right);
        int i = slot(k, mask);
        while (keys[i] != EMPTY) {
            if (keys[i] == k) {
                return false;
            }
            i = (i + 1) & mask;
        }
        if (size + 1 > keys.length * 3 / 4) {
            throw new IllegalStateException("PairRankTable over capacity");
        }
        keys[i] = k;
        values[i] = MergeRules.rule(rank, mergedId);
        size++;
        return true;
    }

    @Override
    public long lookup(int left, int right) {
        long k = key(left, right);
        int i = slot(k, mask);
        while (true) {
            long stored = keys[i];
            if (stored == k) {
                return values[i];
            }
            if (stored == EMPTY) {
                return NO_MERGE;
            }
            i = (i + 1) & mask;
        }
    }

    int size() {
        return size;
    }
}
