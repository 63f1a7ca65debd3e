package dev.loupe.activations;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One flipped byte in a shard stops the reader naming that shard, before any of its rows is handed out (issue 15, item 6). */
class CorruptShardTest {
    @TempDir Path tmp;

    @Test
    void flippedByteStopsTheReaderBeforeTheShardsRowsAreUsed() throws Exception {
        StoreManifest m = SyntheticStore.write(tmp, 5, 300, 8);
        StoreManifest.Shard bad = m.shards().get(2);
        Path file = tmp.resolve(bad.file());
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long at = f.length() - 300L * 8 * 4 / 2; // inside the activation column
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x40);
        }
        Set<Long> badRows = new HashSet<>();
        try (ActivationReader r = ActivationReader.open(tmp, new ActivationReader.Options(100, 1, null, 2))) {
            // the rows of the damaged shard, read without the reader's check
            try (ShardFile f = ShardFile.open(file, m.layout())) {
                RowBlock block = new RowBlock(m.layout(), f.rows());
                f.read(0, f.rows(), block);
                for (long id : ActivationReader.decode(block, 0, m.hooks()).row()) badRows.add(id);
            }
            Set<Long> seen = new HashSet<>();
            var e = assertThrows(CorruptStoreException.class, () -> {
                for (ActivationReader.Batch batch : r) for (long id : batch.row()) seen.add(id);
            });
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("digest"), e.getMessage());
            assertTrue(seen.stream().noneMatch(badRows::contains), "rows of the damaged shard were handed out");
            assertTrue(seen.size() >= 500, "the shards before it were read: " + seen.size());
        }
    }
}
