package dev.loupe.model.tokenizer;

import java.util.Arrays;

/**
 * The one BPE merge engine behind every BPE tokenizer in this package.
 *
 * <p>Given initial symbols, it repeatedly merges the adjacent pair with the lowest rank, taking
 * the leftmost pair when ranks tie, until no pair merges. That single rule reproduces both
 * Hugging Face/GPT-2 BPE (rank = position in the merge list) and llama2.c's loop (rank = order
 * of the merged piece's score, highest first; its strict {@code >} keeps the leftmost on ties).
 *
 * <p>Implementation: symbols form a linked list over array slots; candidate pairs sit in a
 * binary min-heap keyed by {@code (rank << 32) | leftSlot}, so order by rank then position comes
 * from one long comparison. Entries made stale by earlier merges are re-validated when popped.
 * Cost is O(n log n) in the number of symbols.
 */
final class BpeMerger {
    private static final int DEAD = -1;

    private BpeMerger() {}

    /** Merges {@code symbols} under {@code rules}; the input array is not modified. */
    static int[] merge(int[] symbols, MergeRules rules) {
        int n = symbols.length;
        if (n < 2) {
            return symbols.clone();
        }
        int[] ids = symbols.clone();
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1;
            prev[i] = i - 1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            push(heap, rules, ids, i, i + 1);
        }
        int alive = n;
        while (!heap.isEmpty()) {
            long top = heap.poll();
            int rank = (int) (top >>> 32);
            int left = (int) top;
            if (ids[left] == DEAD) {
                continue;
            }
            int right = next[left];
            if (right >= n) {
                continue;
            }
            long rule = rules.lookup(ids[left], ids[right]);
            if (rule == MergeRules.NO_MERGE || MergeRules.rank(rule) != rank) {
                continue; // stale: a neighbour changed since this entry was pushed
            }
            ids[left] = MergeRules.mergedId(rule);
            ids[right] = DEAD;
            int after = next[right];
            next[left] = after;
            if (after < n) {
                prev[after] = left;
            }
            alive--;
            if (prev[left] >= 0) {
                push(heap, rules, ids, prev[left], left);
            }
            if (after < n) {
                push(heap, rules, ids, left, after);
            }
        }
        int[] out = new int[alive];
        for (int i = 0, k = 0; i < n; i = next[i]) {
            out[k++] = ids[i];
        }
        return out;
    }

    private static void push(LongHeap heap, MergeRules rules, int[] ids, int left, int right) {
        long rule = rules.lookup(ids[left], ids[right]);
        if (rule != MergeRules.NO_MERGE) {
            heap.add(((long) MergeRules.rank(rule) << 32) | left);
        }
    }

    /** Minimal binary min-heap of longs. */
    private static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) {
            a = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void add(long v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (a[p] <= v) {
                    break;
                }
                a[i] = a[p];
                i = p;
            }
            a[i] = v;
        }

        long poll() {
            long top = a[0];
            long last = a[--size];
            int i = 0;
            int half = size >>> 1;
            while (i < half) {
                int c = 2 * i + 1;
                if (c + 1 < size && a[c + 1] < a[c]) {
                    c++;
                }
                if (last <= a[c]) {
                    break;
                }
                a[i] = a[c];
                i = c;
            }
            a[i] = last;
            return top;
        }
    }
}
