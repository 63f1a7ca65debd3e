package dev.loupe.interp.intervene;

import java.util.Arrays;

/**
 * Which absolute sequence positions an intervention touches. Absolute means counted from the start of the
 * sequence, so during generation position 7 is the same token whether it is reached in the prefill or at
 * a decode step.
 */
public sealed interface Positions {
    boolean contains(int position);

    /** Every position. */
    record All() implements Positions {
        @Override
        public boolean contains(int position) {
            return true;
        }
    }

    /** The listed positions (kept sorted and distinct, so a long list with repeats costs no more than its distinct values). */
    record At(int[] positions) implements Positions {
        public At {
            positions = Arrays.stream(positions).sorted().distinct().toArray();
        }

        @Override
        public boolean contains(int position) {
            return Arrays.binarySearch(positions, position) >= 0;
        }
    }

    /** Positions {@code from} (inclusive) to {@code to} (exclusive). */
    record Range(int from, int to) implements Positions {
        @Override
        public boolean contains(int position) {
            return position >= from && position < to;
        }
    }

    Positions ALL = new All();
}
