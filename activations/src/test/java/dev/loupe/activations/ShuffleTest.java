package dev.loupe.activations;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShuffleTest {
    @TempDir Path tmp;

    private StoreManifest shuffle(Path in, Path out, long memory, long seed) throws Exception {
        return new Shuffler(in, out, memory, seed, CollectTest.QUIET).run();
    }

    @Test
    void shuffleIsAPermutationThatVerifies() throws Exception {
        StoreManifest src = SyntheticStore.write(tmp.resolve("in"), 10, 997, 8);
        StoreManifest out = shuffle(tmp.resolve("in"), tmp.resolve("out"), 200_000, 1);
        assertEquals(List.of(), Verifier.verify(tmp.resolve("out")));
        assertEquals(src.digest(), out.digest());
        long[] ids = SyntheticStore.rowIds(tmp.resolve("out"));
        long[] sorted = ids.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) assertEquals(i, sorted[i]);
        assertFalse(Files.exists(tmp.resolve("out").resolve(Shuffler.WORK_DIR)), "work files removed");
        // deterministic for a seed, different across seeds
        shuffle(tmp.resolve("in"), tmp.resolve("again"), 200_000, 1);
        assertArrayEquals(ids, SyntheticStore.rowIds(tmp.resolve("again")));
        shuffle(tmp.resolve("in"), tmp.resolve("other"), 200_000, 2);
        assertFalse(Arrays.equals(ids, SyntheticStore.rowIds(tmp.resolve("other"))));
    }

    @Test
    void shuffledOrderPassesUniformityTestsThatLocalShufflesFail() throws Exception {
        int shardRows = 1000, shards = 16;
        SyntheticStore.write(tmp.resolve("in"), shards, shardRows, 4);
        StoreManifest out = shuffle(tmp.resolve("in"), tmp.resolve("out"), 256 << 10, 7);
        long[] perm = Uniformity.permutation(SyntheticStore.rowIds(tmp.resolve("out")));
        double z = Uniformity.shardMixingZ(perm, shardRows, out.shardRows());
        double ks = Uniformity.displacementKs(perm);
        assertTrue(Math.abs(z) < 4, "global shuffle: chi-square z " + z);
        assertTrue(ks < 1.95, "global shuffle: displacement KS " + ks);

        long[] withinShard = localShuffle(shards * shardRows, shardRows);
        assertTrue(Uniformity.shardMixingZ(withinShard, shardRows, shardRows) > 4);
        assertTrue(Uniformity.displacementKs(withinShard) > 1.95);
        long[] window = localShuffle(shards * shardRows, 4 * shardRows); // a 4-shard window mixes shards, but only nearby ones
        assertTrue(Uniformity.shardMixingZ(window, shardRows, shardRows) > 4);
        assertTrue(Uniformity.displacementKs(window) > 1.95);
    }

    /** Fisher–Yates within consecutive windows of {@code window} rows: a deliberately local shuffle. */
    private static long[] localShuffle(int n, int window) {
        SplittableRandom rng = new SplittableRandom(3);
        long[] perm = new long[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int lo = 0; lo < n; lo += window) {
            for (int i = Math.min(n, lo + window) - 1; i > lo; i--) {
                int j = lo + rng.nextInt(i - lo + 1);
                long t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
        }
        return perm;
    }

    @Test
    void rerunWithAnotherSeedOrSourceIsRefusedNamingTheField() throws Exception {
        SyntheticStore.write(tmp.resolve("in"), 3, 300, 4);
        SyntheticStore.write(tmp.resolve("in2"), 3, 300, 4);
        Path out = tmp.resolve("out");
        StoreManifest m = shuffle(tmp.resolve("in"), out, 50_000, 1);
        assertEquals(m, shuffle(tmp.resolve("in"), out, 50_000, 1), "the same job resumes (here: is already complete)");
        var e = assertThrows(IllegalArgumentException.class, () -> shuffle(tmp.resolve("in"), out, 50_000, 2));
        assertTrue(e.getMessage().contains(out.toString()) && e.getMessage().contains("its seed differs"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> shuffle(tmp.resolve("in2"), out, 50_000, 1));
        assertTrue(e.getMessage().contains("its source differs"), e.getMessage());
        assertEquals(List.of(), Verifier.verify(out), "the refused runs left the store as it was");
    }

    @Test
    void corruptShardIsReportedAndShuffleLeavesNothingBehind() throws Exception {
        Path in = tmp.resolve("in");
        SyntheticStore.write(in, 4, 500, 8);
        Path shard = in.resolve(StoreManifest.shardName(2));
        byte[] b = Files.readAllBytes(shard);
        b[b.length - 100] ^= 0x55;
        Files.write(shard, b);
        List<String> problems = Verifier.verify(in);
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("shard-00002.safetensors: SHA-256"), problems.get(0));
        assertTrue(problems.get(1).contains("row digest"), problems.get(1));
        var e = assertThrows(CorruptStoreException.class, () -> shuffle(in, tmp.resolve("out"), 100_000, 0));
        assertTrue(e.getMessage().contains("shard-00002.safetensors"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("out")), "nothing half-written");

        Files.write(shard, Arrays.copyOf(b, 7)); // truncated: not even a header
        e = assertThrows(CorruptStoreException.class, () -> shuffle(in, tmp.resolve("out"), 100_000, 0));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void manifestThatLiesIsCaught() throws Exception {
        Path in = tmp.resolve("in");
        StoreManifest m = SyntheticStore.write(in, 3, 400, 8);
        List<StoreManifest.Shard> shards = new java.util.ArrayList<>(m.shards());
        StoreManifest.Shard s0 = shards.get(0);
        shards.set(0, new StoreManifest.Shard(s0.file(), s0.rows() + 1, s0.sha256(), s0.digest()));
        new StoreManifest(m.format(), m.kind(), m.model(), m.hooks(), m.dtype(), m.context(), m.shardRows(), m.rows() + 1, m.digest(), true,
                shards, m.dataset(), null, null, null).write(in);
        List<String> problems = Verifier.verify(in);
        assertTrue(problems.stream().anyMatch(p -> p.contains("holds 400 rows but the manifest says 401")), problems.toString());
        var e = assertThrows(CorruptStoreException.class, () -> shuffle(in, tmp.resolve("out"), 100_000, 0));
        assertTrue(e.getMessage().contains("400 rows but the manifest says 401"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("out")));

        shards.set(0, new StoreManifest.Shard(s0.file(), s0.rows(), "00" + s0.sha256().substring(2), s0.digest()));
        new StoreManifest(m.format(), m.kind(), m.model(), m.hooks(), m.dtype(), m.context(), m.shardRows(), m.rows(), m.digest(), true,
                shards, m.dataset(), null, null, null).write(in);
        problems = Verifier.verify(in);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("does not match the manifest's 00"), problems.get(0));
    }

    @Test
    void shuffledStoreMissingARowFailsVerify() throws Exception {
        SyntheticStore.write(tmp.resolve("in"), 3, 300, 4);
        Path out = tmp.resolve("out");
        StoreManifest m = shuffle(tmp.resolve("in"), out, 50_000, 0);
        // drop the last row of the last shard and re-commit it honestly: checksums fine, but rows ≠ source
        StoreManifest.Shard last = m.shards().getLast();
        RowBlock block = new RowBlock(m.layout(), last.rows());
        try (ShardFile f = ShardFile.open(out.resolve(last.file()), m.layout())) {
            f.read(0, last.rows() - 1, block);
        }
        List<StoreManifest.Shard> shards = new java.util.ArrayList<>(m.shards().subList(0, m.shards().size() - 1));
        shards.add(ShardFile.write(out.resolve(last.file()), block));
        new StoreManifest(m.format(), m.kind(), m.model(), m.hooks(), m.dtype(), m.context(), m.shardRows(), m.rows() - 1,
                StoreManifest.sumDigests(shards), true, shards, m.dataset(), null, m.source(), m.seed()).write(out);
        List<String> problems = Verifier.verify(out);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("rows lost, duplicated or changed"), problems.get(0));
        assertNotEquals(m.digest(), StoreManifest.sumDigests(shards));
    }
}
