package dev.loupe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Batches are a function of (seed, step); every context is visited once an epoch; repeated passages are real text copied once. */
class PackedDatasetTest {
    private static int[] counting(int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = i;
        return t;
    }

    @Test
    void eachEpochVisitsEveryContextOnceInASeededOrder() {
        PackedDataset d = new PackedDataset(counting(32 * 10 + 5), 32, 3, 0);
        assertEquals(10, d.contexts());
        Set<Integer> starts = new HashSet<>();
        for (int step = 0; step < 5; step++) for (int[] seq : d.batch(step, 2)) starts.add(seq[0]);
        assertEquals(10, starts.size());
        assertArrayEquals(d.batch(7, 2), new PackedDataset(counting(32 * 10 + 5), 32, 3, 0).batch(7, 2));
    }

    @Test
    void repeatedPassagesCopyAStretchOfTheSameContext() {
        PackedDataset d = new PackedDataset(counting(64 * 50), 64, 1, 1.0);
        Set<Integer> lengths = new HashSet<>();
        for (int[] seq : d.batch(0, 40)) {
            int s = 0;
            while (seq[s + 1] == seq[s] + 1) s++; // first break: the copy starts at s + 1
            int len = seq[s] - seq[s + 1] + 1, start = s + 1 - len;
            for (int i = 0; i < len; i++) assertEquals(seq[start + i], seq[s + 1 + i]);
            for (int i = start + 2 * len + 1; i < 64; i++) assertEquals(seq[i - 1] + 1, seq[i], "the text continues after the copy");
            assertTrue(len >= 8 && len <= 32, "length " + len);
            lengths.add(len);
        }
        assertTrue(lengths.size() > 5, "passage lengths vary: " + lengths);
    }
}
