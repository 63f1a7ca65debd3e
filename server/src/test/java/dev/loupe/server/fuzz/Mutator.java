package dev.loupe.server.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/**
 * Mutational input generation from a corpus, the way coverage-blind fuzzers start: take a seed and apply a few
 * random edits — bit flips, interesting bytes, deleted or duplicated ranges, random insertions, a number in the
 * text replaced by a boundary value (0, -1, 2^31-1, 2^32+512, 1e39, a 2,000-digit run), a little-endian int or long
 * overwritten with one (for binary headers), or the tail of another seed spliced on. One input in ten is a seed as is.
 */
final class Mutator {
    private static final byte[] BYTES = {0, -1, 0x7f, (byte) 0x80, '"', '{', '}', '[', ']', ',', ':', '-', '9', '\\', 'e'};
    private static final String[] NUMBERS = {"0", "-1", "-2147483648", "2147483647", "2147483648", "4294967808", "100000000", "1e39",
            "-1e308", "1e-45", "0.5", "NaN", "99999999999999999999", "1".repeat(2000), "[]", "null", "true", "\"x\"", "{}"};
    private static final long[] WORDS = {0, -1, 1, Integer.MAX_VALUE, Integer.MIN_VALUE, 100_000_000, 0xFFFF_FFFFL, Long.MAX_VALUE, 1L << 40};
    private static final int MAX_BYTES = 1 << 20;

    private Mutator() {}

    static Arbitrary<Corpus.Seed> inputs(String target) {
        Corpus corpus = Corpus.of(target);
        return Arbitraries.randomValue(r -> {
            Corpus.Seed seed = corpus.seeds().get(r.nextInt(corpus.seeds().size()));
            if (r.nextInt(10) == 0) return seed;
            byte[] b = seed.bytes();
            for (int i = 0, n = 1 + r.nextInt(6); i < n; i++) b = once(r, b, corpus);
            return new Corpus.Seed(seed.name(), b);
        }).withoutEdgeCases();
    }

    private static byte[] once(Random r, byte[] b, Corpus corpus) {
        if (b.length == 0) return new byte[] {BYTES[r.nextInt(BYTES.length)]};
        int at = r.nextInt(b.length);
        byte[] out = switch (r.nextInt(8)) {
            case 0 -> {
                byte[] c = b.clone();
                c[at] ^= (byte) (1 << r.nextInt(8));
                yield c;
            }
            case 1 -> {
                byte[] c = b.clone();
                c[at] = BYTES[r.nextInt(BYTES.length)];
                yield c;
            }
            case 2 -> splice(b, at, Math.min(b.length, at + 1 + r.nextInt(16)), new byte[0]);
            case 3 -> splice(b, at, at, Arrays.copyOfRange(b, at, Math.min(b.length, at + 1 + r.nextInt(64))));
            case 4 -> {
                byte[] ins = new byte[1 + r.nextInt(8)];
                r.nextBytes(ins);
                yield splice(b, at, at, ins);
            }
            case 5 -> number(r, b);
            case 6 -> word(r, b, at);
            default -> {
                byte[] other = corpus.seeds().get(r.nextInt(corpus.seeds().size())).bytes();
                int from = other.length == 0 ? 0 : r.nextInt(other.length);
                yield splice(b, at, b.length, Arrays.copyOfRange(other, from, other.length));
            }
        };
        return out.length > MAX_BYTES ? Arrays.copyOf(out, MAX_BYTES) : out;
    }

    /** Replaces a run of digits (a JSON number, say) with a boundary value. */
    private static byte[] number(Random r, byte[] b) {
        int start = -1;
        for (int tries = 0; tries < 16 && start < 0; tries++) {
            int i = r.nextInt(b.length);
            if (b[i] >= '0' && b[i] <= '9') start = i;
        }
        if (start < 0) return b;
        while (start > 0 && (b[start - 1] >= '0' && b[start - 1] <= '9' || b[start - 1] == '-' || b[start - 1] == '.')) start--;
        int end = start;
        while (end < b.length && (b[end] >= '0' && b[end] <= '9' || b[end] == '.' || b[end] == 'e' || b[end] == '-')) end++;
        return splice(b, start, end, NUMBERS[r.nextInt(NUMBERS.length)].getBytes(StandardCharsets.US_ASCII));
    }

    /** Overwrites a little-endian int or long (a binary header's size field, say) with a boundary value. */
    private static byte[] word(Random r, byte[] b, int at) {
        int width = r.nextBoolean() ? 4 : 8;
        if (b.length < width) return b;
        at = Math.min(at, b.length - width) & ~(width - 1);
        byte[] c = b.clone();
        ByteBuffer buf = ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN);
        long v = WORDS[r.nextInt(WORDS.length)];
        if (width == 4) buf.putInt(at, (int) v);
        else buf.putLong(at, v);
        return c;
    }

    private static byte[] splice(byte[] b, int from, int to, byte[] ins) {
        byte[] out = new byte[b.length - (to - from) + ins.length];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(ins, 0, out, from, ins.length);
        System.arraycopy(b, to, out, from + ins.length, b.length - to);
        return out;
    }
}
