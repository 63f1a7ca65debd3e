package dev.loupe.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The shared merge engine on tiny alphabets where the result is obvious. */
class BpeMergerTest {
    // symbols: a=0 b=1 c=2; merges: (a,b)->ab=3 rank 1, (b,c)->bc=4 rank 0, (a,a)->aa=5 rank 2,
    // (aa,aa)->aaaa=6 rank 3
    static final PairRankTable RULES = new PairRankTable(8);

    static {
        RULES.putIfAbsent(0, 1, 1, 3);
        RULES.putIfAbsent(1, 2, 0, 4);
        RULES.putIfAbsent(0, 0, 2, 5);
        RULES.putIfAbsent(5, 5, 3, 6);
        RULES.putIfAbsent(0, 1, 9, 99); // duplicate: the first (lower rank) is kept
    }

    @Test
    void lowerRankFirst() {
        // a b c: (b,c) rank 0 beats (a,b) rank 1 → a bc
        assertArrayEquals(new int[] {0, 4}, BpeMerger.merge(new int[] {0, 1, 2}, RULES));
        assertArrayEquals(new int[] {3}, BpeMerger.merge(new int[] {0, 1}, RULES));
    }

    @Test
    void leftmostOnTiesAndMergedSymbolsMergeAgain() {
        // a a a: both pairs rank 2, leftmost first → aa a
        assertArrayEquals(new int[] {5, 0}, BpeMerger.merge(new int[] {0, 0, 0}, RULES));
        // a a a a a → aa aa a → aaaa a
        assertArrayEquals(new int[] {6, 0}, BpeMerger.merge(new int[] {0, 0, 0, 0, 0}, RULES));
    }

    @Test
    void trivialInputs() {
        assertArrayEquals(new int[0], BpeMerger.merge(new int[0], RULES));
        assertArrayEquals(new int[] {2}, BpeMerger.merge(new int[] {2}, RULES));
        assertArrayEquals(new int[] {2, 2}, BpeMerger.merge(new int[] {2, 2}, RULES));
        assertEquals(MergeRules.NO_MERGE, RULES.lookup(2, 0));
    }

    @Test
    void longInputMatchesNaiveLoop() {
        java.util.Random r = new java.util.Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int[] s = r.ints(1 + r.nextInt(40), 0, 3).toArray();
            assertArrayEquals(naive(s), BpeMerger.merge(s, RULES));
        }
    }

    /** The textbook quadratic loop: merge the lowest-rank leftmost pair until none is left. */
    static int[] naive(int[] symbols) {
        java.util.List<Integer> s = new java.util.ArrayList<>();
        for (int x : symbols) s.add(x);
        while (true) {
            int best = -1;
            long bestRule = Long.MAX_VALUE;
            for (int i = 0; i + 1 < s.size(); i++) {
                long rule = RULES.lookup(s.get(i), s.get(i + 1));
                if (rule != MergeRules.NO_MERGE && MergeRules.rank(rule) < MergeRules.rank(bestRule)) {
                    best = i;
                    bestRule = rule;
                }
            }
            if (best < 0) {
                return s.stream().mapToInt(Integer::intValue).toArray();
            }
            s.set(best, MergeRules.mergedId(bestRule));
            s.remove(best + 1);
        }
    }
}
