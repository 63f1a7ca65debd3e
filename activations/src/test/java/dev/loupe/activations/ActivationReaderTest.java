package dev.loupe.activations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActivationReaderTest {
    @TempDir Path tmp;

    @Test
    void epochsCoverEveryRowOnceAndReshuffleShardOrder() throws Exception {
        SyntheticStore.write(tmp, 5, 300, 8);
        List<List<Long>> perEpoch = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        int batches = 0;
        try (ActivationReader r = ActivationReader.open(tmp, new ActivationReader.Options(128, 3, 11L, 3))) {
            for (ActivationReader.Batch b : r) {
                batches++;
                assertEquals(b.rows() * 8, b.activations("blocks.0.hook_resid_post").numel());
                for (int i = 0; i < b.rows(); i++) {
                    perEpoch.get(b.epoch()).add(b.row()[i]);
                    assertEquals((float) Math.sin(b.row()[i] * 0.37 + 2), b.activations("blocks.0.hook_resid_post").get(i, 2));
                }
            }
        }
        assertEquals(3 * ((1500 + 127) / 128), batches);
        for (List<Long> e : perEpoch) {
            Set<Long> seen = new HashSet<>(e);
            assertEquals(e.size(), seen.size());
        }
        assertEquals(new HashSet<>(perEpoch.get(0)), new HashSet<>(perEpoch.get(2)));
        assertNotEquals(perEpoch.get(0), perEpoch.get(1));
    }
}
