package dev.loupe.activations;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What checking each shard's row digest costs the reader (BENCHMARKS.md "Hardening"): two epochs over one store,
 * the first verifying every shard before handing out its rows, the second (shards already verified) only reading.
 * Both read from the page cache, so the difference is the hashing.
 */
@Tag("slow")
class ReaderVerifyCostTest {
    @TempDir Path tmp;

    @Test
    void verifyingShardsCostsOneHashPass() throws Exception {
        int shards = 16, rows = 16_384, d = 512; // 16 shards of 32 MiB of activations
        SyntheticStore.write(tmp, shards, rows, d);
        for (int round = 0; round < 2; round++) {
            long[] nanos = new long[2];
            long[] count = new long[2];
            try (ActivationReader r = ActivationReader.open(tmp, new ActivationReader.Options(4096, 2, null, 4))) {
                long t = System.nanoTime();
                int epoch = 0;
                for (ActivationReader.Batch b : r) {
                    if (b.epoch() != epoch) {
                        long now = System.nanoTime();
                        nanos[epoch] = now - t;
                        t = now;
                        epoch = b.epoch();
                    }
                    count[b.epoch()] += b.rows();
                }
                nanos[epoch] = System.nanoTime() - t;
            }
            assertEquals(count[0], count[1]);
            double mb = (double) shards * rows * (4L * d + 20) / (1 << 20);
            System.out.printf("READER round %d: epoch 1 (verify + read) %.0f MB/s, epoch 2 (read) %.0f MB/s, verification +%.0f%%%n", round,
                    mb / (nanos[0] / 1e9), mb / (nanos[1] / 1e9), 100.0 * (nanos[0] - nanos[1]) / nanos[1]);
        }
    }
}
