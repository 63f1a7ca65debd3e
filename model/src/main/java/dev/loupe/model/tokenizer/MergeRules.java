package dev.loupe.model.tokenizer;

/**
 * Which adjacent pair of symbols BPE may merge, and how urgently. One interface serves both rank
 * based merges (Hugging Face / GPT-2: the merge list's line number) and score based merges
 * (llama2.c: the merged piece's score, turned into a rank), so {@link BpeMerger} is the single
 * merge engine for every BPE flavour.
 */
@FunctionalInterface
interface MergeRules {
    /** Returned by {@link #lookup} when the pair does not merge. */
    long NO_MERGE = -1L;

    /**
     * The merge of {@code left} followed by {@code right}, packed by {@link #rule(int, int)}, or
     * {@link #NO_MERGE}. Lower rank merges first.
     */
    long lookup(int left, int right);

    /** Packs a non-negative rank and the merged symbol's id into one long. */
    static long rule(int rank, int mergedId) {
        return ((long) rank << 32) | (mergedId & 0xFFFF_FFFFL);
    }

    static int rank(long rule) {
        return (int) (rule >>> 32);
    }

    static int mergedId(long rule) {
        return (int) rule;
    }
}
