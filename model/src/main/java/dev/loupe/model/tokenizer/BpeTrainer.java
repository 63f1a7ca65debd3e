package dev.loupe.model.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Learns a GPT-2-style byte-level BPE vocabulary from text: the same pre-tokenization regex and byte
 * alphabet as GPT-2, 256 byte tokens, merges chosen by pair frequency over the distinct pre-tokenized
 * words (counts updated incrementally: only words containing the merged pair are rescanned), and
 * {@value #END_OF_TEXT} as the last id. Ties between equally frequent pairs go to the smaller
 * (left id, right id), so training is deterministic.
 *
 * <p>Lives beside the tokenizers it produces because it shares their byte alphabet and regex.
 */
public final class BpeTrainer {
    /** The special token that separates documents; the last id of a trained vocabulary. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    private BpeTrainer() {}

    /**
     * Trains on {@code texts} until the vocabulary (bytes + merges + end-of-text) has {@code vocabSize}
     * entries, or no pair occurs twice.
     */
    public static TrainedBpe train(Iterable<String> texts, int vocabSize) {
        if (vocabSize < 257) throw new IllegalArgumentException("BPE vocabulary size must be at least 257 (256 bytes + " + END_OF_TEXT + "), got " + vocabSize);
        Map<String, long[]> counts = new HashMap<>();
        ByteLevelPreTokenizer pre = new ByteLevelPreTokenizer(false, true);
        for (String text : texts) {
            for (String w : pre.split(List.of(text), true)) counts.computeIfAbsent(w, k -> new long[1])[0]++;
        }
        List<String> tokens = new ArrayList<>(vocabSize);
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevelAlphabet.charOf(b)));
        Words words = new Words(counts);
        List<String> merges = new ArrayList<>();
        while (tokens.size() < vocabSize - 1) {
            long pair = words.best();
            if (pair < 0) break;
            int a = (int) (pair >>> 32), b = (int) pair;
            int id = tokens.size();
            tokens.add(tokens.get(a) + tokens.get(b));
            merges.add(tokens.get(a) + " " + tokens.get(b));
            words.merge(a, b, id);
        }
        tokens.add(END_OF_TEXT);
        return new TrainedBpe(List.copyOf(tokens), List.copyOf(merges));
    }

    /** Distinct words as symbol ids with frequencies, and the pair counts over them. */
    private static final class Words {
        private final int[][] symbols;
        private final long[] freq;
        private final Map<Long, Long> pairCounts = new HashMap<>();
        private final Map<Long, List<Integer>> wordsWithPair = new HashMap<>();
        private final PriorityQueue<long[]> queue = new PriorityQueue<>((x, y) ->
                x[0] != y[0] ? Long.compare(y[0], x[0]) : Long.compare(x[1], y[1]));

        Words(Map<String, long[]> counts) {
            List<String> sorted = new ArrayList<>(counts.keySet());
            sorted.sort(null);
            symbols = new int[sorted.size()][];
            freq = new long[sorted.size()];
            for (int w = 0; w < symbols.length; w++) {
                String s = sorted.get(w);
                symbols[w] = s.chars().map(c -> ByteLevelAlphabet.byteOf((char) c)).toArray();
                freq[w] = counts.get(s)[0];
                addPairs(w, 1);
            }
            pairCounts.forEach((p, c) -> queue.add(new long[] {c, p}));
        }

        /** The most frequent pair occurring at least twice, or -1. */
        long best() {
            while (!queue.isEmpty()) {
                long[] top = queue.poll();
                Long current = pairCounts.get(top[1]);
                if (current != null && current == top[0]) return top[0] >= 2 ? top[1] : -1;
            }
            return -1;
        }

        void merge(int a, int b, int id) {
            long pair = pairKey(a, b);
            List<Integer> affected = wordsWithPair.remove(pair);
            Map<Long, Boolean> changed = new LinkedHashMap<>();
            for (int w : new java.util.TreeSet<>(affected)) {
                int[] s = symbols[w];
                if (!contains(s, a, b)) continue;
                forEachPair(s, p -> changed.put(p, true));
                addPairs(w, -1);
                symbols[w] = replace(s, a, b, id);
                addPairs(w, 1);
                forEachPair(symbols[w], p -> changed.put(p, true));
            }
            pairCounts.remove(pair);
            for (long p : changed.keySet()) {
                Long c = pairCounts.get(p);
                if (c != null) queue.add(new long[] {c, p});
            }
        }

        private void addPairs(int w, int sign) {
            int[] s = symbols[w];
            for (int i = 0; i + 1 < s.length; i++) {
                long p = pairKey(s[i], s[i + 1]);
                long c = pairCounts.getOrDefault(p, 0L) + sign * freq[w];
                if (c == 0) pairCounts.remove(p);
                else pairCounts.put(p, c);
                if (sign > 0) {
                    List<Integer> list = wordsWithPair.computeIfAbsent(p, k -> new ArrayList<>());
                    if (list.isEmpty() || list.getLast() != w) list.add(w);
                }
            }
        }

        private static void forEachPair(int[] s, java.util.function.LongConsumer f) {
            for (int i = 0; i + 1 < s.length; i++) f.accept(pairKey(s[i], s[i + 1]));
        }

        private static boolean contains(int[] s, int a, int b) {
            for (int i = 0; i + 1 < s.length; i++) if (s[i] == a && s[i + 1] == b) return true;
            return false;
        }

        /** Non-overlapping left-to-right replacement of (a, b) by id, as BPE applies a merge. */
        private static int[] replace(int[] s, int a, int b, int id) {
            int[] out = new int[s.length];
            int n = 0;
            for (int i = 0; i < s.length; i++) {
                if (i + 1 < s.length && s[i] == a && s[i + 1] == b) {
                    out[n++] = id;
                    i++;
                } else {
                    out[n++] = s[i];
                }
            }
            return Arrays.copyOf(out, n);
        }

        private static long pairKey(int a, int b) {
            return ((long) a << 32) | (b & 0xFFFFFFFFL);
        }
    }
}
