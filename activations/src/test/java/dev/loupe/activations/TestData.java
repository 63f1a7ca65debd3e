package dev.loupe.activations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Path;
import java.util.TreeMap;

/** Test fixtures shared with other modules' tests (the Spark jobs). */
public final class TestData {
    private TestData() {}

    /** The first {@code docs} Brown documents as a .jsonl dataset (skips the test when ../shared is absent). */
    public static Path brown(Path dir, int docs) throws IOException {
        return CollectFixture.dataset(dir, docs);
    }

    /** A complete collected store of made-up rows. */
    public static StoreManifest synthetic(Path dir, int shards, int rowsPerShard, int d) throws IOException {
        return SyntheticStore.write(dir, shards, rowsPerShard, d);
    }

    /** Chi-square z of where a shuffled synthetic store's rows came from (source shards) vs where they are. */
    public static double shardMixingZ(Path shuffled, int sourceShardRows) throws IOException {
        StoreManifest m = StoreManifest.read(shuffled);
        return Uniformity.shardMixingZ(Uniformity.permutation(SyntheticStore.rowIds(shuffled)), sourceShardRows, m.shardRows());
    }

    /**
     * Asserts both stores hold the same rows: identical row ids with identical token, document and position,
     * and activations equal to float rounding (1e-5 relative). Bit-equality is not asked for because a fresh
     * JVM's first forwards run the SIMD reductions interpreted, which sum in another order than compiled code.
     */
    public static void assertSameRows(Path a, Path b) throws IOException {
        TreeMap<Long, float[]> x = rows(a), y = rows(b);
        assertEquals(x.keySet(), y.keySet());
        for (var e : x.entrySet()) {
            float[] u = e.getValue(), v = y.get(e.getKey());
            assertEquals(u.length, v.length);
            for (int i = 0; i < 3; i++) assertEquals(u[i], v[i], "row " + e.getKey() + " provenance");
            for (int i = 3; i < u.length; i++) assertEquals(u[i], v[i], 1e-5f * (1 + Math.abs(u[i])), "row " + e.getKey() + " element " + i);
        }
    }

    /** Row id → (token, doc, pos, every hook's activations) of every row. */
    private static TreeMap<Long, float[]> rows(Path dir) throws IOException {
        TreeMap<Long, float[]> out = new TreeMap<>();
        try (ActivationReader r = ActivationReader.open(dir, new ActivationReader.Options(1024, 1, null, 2))) {
            int width = r.manifest().hooks().stream().mapToInt(StoreManifest.Hook::d).sum();
            for (ActivationReader.Batch b : r) {
                for (int i = 0; i < b.rows(); i++) {
                    float[] v = new float[3 + width];
                    v[0] = b.tokens()[i];
                    v[1] = b.doc()[i];
                    v[2] = b.pos()[i];
                    int at = 3;
                    for (var t : b.acts()) {
                        int d = t.size(1);
                        System.arraycopy(t.data(), i * d, v, at, d);
                        at += d;
                    }
                    assertNull(out.put(b.row()[i], v), "duplicate row " + b.row()[i]);
                }
            }
        }
        return out;
    }
}
