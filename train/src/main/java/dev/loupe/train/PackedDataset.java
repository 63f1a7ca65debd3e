package dev.loupe.train;

import dev.loupe.model.tokenizer.Tokenizer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Documents tokenized, each followed by the end-of-text token, concatenated and cut into contexts of
 * {@code context} tokens (the remainder is dropped). Each epoch visits every context once in an order
 * shuffled by the seed and the epoch number, so the batch at any step is a pure function of
 * (seed, step): resuming needs only the step.
 *
 * <p>Optionally a fraction of the sequences contain a <em>repeated passage</em>: a stretch of the context's
 * own text (8 tokens to half the context, at a random place) immediately followed by a copy of itself, the
 * rest of the context continuing the corpus text. The text is still the corpus's own; the repetition makes
 * copying from earlier in the context pay off within a small token budget, which is what lets induction
 * heads form in minutes rather than after the hundreds of millions of tokens natural text needs. Length and
 * place vary so that only content-based copying works, not attention to a fixed offset.
 */
public final class PackedDataset {
    private final int[] tokens;
    private final int context;
    private final long seed;
    private final double repeatFraction;
    private final Map<Long, int[]> orders = new HashMap<>();

    /** @param repeatFraction fraction of sequences that are a half-context passage followed by itself (0 for none) */
    public PackedDataset(int[] tokens, int context, long seed, double repeatFraction) {
        if (tokens.length < context) {
            throw new IllegalArgumentException("dataset has " + tokens.length + " tokens, fewer than one context of " + context);
        }
        this.tokens = tokens;
        this.context = context;
        this.seed = seed;
        if (repeatFraction < 0 || repeatFraction > 1) throw new IllegalArgumentException("repeat fraction must be in [0, 1], got " + repeatFraction);
        this.repeatFraction = repeatFraction;
    }

    /** Tokenizes {@code docs} with {@code tok}, appending {@code endOfText} after each document. */
    public static int[] tokenize(List<String> docs, Tokenizer tok, int endOfText) {
        int[][] parts = new int[docs.size()][];
        java.util.stream.IntStream.range(0, docs.size()).parallel().forEach(i -> parts[i] = tok.encode(docs.get(i)));
        int n = 0;
        for (int[] p : parts) n += p.length + 1;
        int[] out = new int[n];
        int o = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
            out[o++] = endOfText;
        }
        return out;
    }

    public int contexts() {
        return tokens.length / context;
    }

    public int totalTokens() {
        return tokens.length;
    }

    /** The {@code batch} contexts of training step {@code step} (0-based), [batch][context]. */
    public int[][] batch(long step, int batch) {
        int[][] out = new int[batch][];
        for (int j = 0; j < batch; j++) {
            long sample = step * batch + j;
            long epoch = sample / contexts();
            int c = order(epoch)[(int) (sample % contexts())];
            out[j] = java.util.Arrays.copyOfRange(tokens, c * context, (c + 1) * context);
            SplittableRandom rng = new SplittableRandom(seed * 31 + sample);
            if (repeatFraction > 0 && rng.nextDouble() < repeatFraction) repeatPassage(out[j], rng);
        }
        return out;
    }

    /** Rewrites seq as seq[0, s+len) + seq[s, s+len) + seq[s+len, context-len) for a random length and start. */
    private void repeatPassage(int[] seq, SplittableRandom rng) {
        int minLen = Math.min(8, context / 2);
        int len = minLen + rng.nextInt(context / 2 - minLen + 1);
        int start = rng.nextInt(context - 2 * len + 1);
        int[] copy = seq.clone();
        System.arraycopy(copy, start, seq, start + len, len);
        System.arraycopy(copy, start + len, seq, start + 2 * len, context - start - 2 * len);
    }

    private int[] order(long epoch) {
        if (orders.size() > 2) orders.keySet().removeIf(e -> e < epoch);
        return orders.computeIfAbsent(epoch, e -> {
            int[] perm = new int[contexts()];
            for (int i = 0; i < perm.length; i++) perm[i] = i;
            SplittableRandom rng = new SplittableRandom(seed * 1_000_003L + e);
            for (int i = perm.length - 1; i > 0; i--) {
                int k = rng.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[k];
                perm[k] = t;
            }
            return perm;
        });
    }
}
