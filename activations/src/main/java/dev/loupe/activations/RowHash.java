package dev.loupe.activations;

/**
 * A 64-bit hash of one row's bytes, and the store digest built from it: the sum of the row hashes mod 2^64.
 * The sum does not depend on row order, so a shuffled store has the same digest as its source exactly when
 * (barring a 2^-64 accident) it holds the same multiset of rows; every row carries its unique {@code row}
 * id, so equal digests also mean no row was lost or duplicated.
 */
public final class RowHash {
    private static final long P1 = 0x9E3779B185EBCA87L, P2 = 0xC2B2AE3D27D4EB4FL;

    private RowHash() {}

    /** Folds {@code len} bytes of {@code b} from {@code off} into running hash {@code h}. */
    public static long update(long h, byte[] b, int off, int len) {
        int i = off, end = off + len;
        for (; i + 8 <= end; i += 8) h = mix(h, (long) LONGS.get(b, i));
        long tail = 0;
        for (int s = 0; i < end; i++, s += 8) tail |= (b[i] & 0xFFL) << s;
        return mix(h, tail ^ len);
    }

    /** Final avalanche (so that sums of hashes are not dominated by structure in the input). */
    public static long finish(long h) {
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P1;
        return h ^ (h >>> 32);
    }

    public static long seed() {
        return P1;
    }

    private static long mix(long h, long v) {
        h ^= Long.rotateLeft(v * P2, 31) * P1;
        return Long.rotateLeft(h, 27) * P1 + P2;
    }

    /** Digest as 16 hex digits (how manifests record it). */
    public static String hex(long digest) {
        return String.format("%016x", digest);
    }

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
}
