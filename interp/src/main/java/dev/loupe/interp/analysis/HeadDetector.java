package dev.loupe.interp.analysis;

/**
 * A kind of attention head recognised by where it looks. Each defines, for a query position i of a token
 * sequence, the key positions a head of that kind attends to; a head's score is its attention mass on those
 * keys, averaged over the query positions that have any.
 */
public enum HeadDetector {
    /** Attends to the token just before: key i − 1. Measured on natural text. */
    PREVIOUS,
    /** Attends to earlier occurrences of its own token: keys j &lt; i with t_j = t_i. */
    DUPLICATE,
    /**
     * Attends to the token after an earlier occurrence of its own token: keys j + 1 &lt; i with t_j = t_i. In a
     * repeated random sequence r_1..r_n r_1..r_n this is position i − n + 1 for the second copy.
     */
    INDUCTION;

    /** Adds to {@code mark} (length i) a 1 at every key position query {@code i} of {@code tokens} targets. */
    boolean targets(int[] tokens, int i, boolean[] mark) {
        java.util.Arrays.fill(mark, false);
        boolean any = false;
        switch (this) {
            case PREVIOUS -> {
                if (i > 0) any = mark[i - 1] = true;
            }
            case DUPLICATE -> {
                for (int j = 0; j < i; j++) if (tokens[j] == tokens[i]) any = mark[j] = true;
            }
            case INDUCTION -> {
                for (int j = 0; j + 1 < i; j++) if (tokens[j] == tokens[i]) any = mark[j + 1] = true;
            }
        }
        return any;
    }
}
