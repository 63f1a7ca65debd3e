package dev.loupe.activations;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.format.DType;
import dev.loupe.model.hooks.ActivationCache;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollectTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    @TempDir Path tmp;

    @Test
    void collectedRowsEqualRunWithCacheBitForBit() throws Exception {
        LoadedModel m = ModelLoader.load(CollectFixture.model(), null);
        Path data = CollectFixture.dataset(tmp, 3);
        Path out = tmp.resolve("store");
        warmUp(m);
        StoreManifest man = CollectFixture.collection(data, out, 64 * 13, 64 * 5 * 1200).run(m, QUIET);
        assertEquals(64 * 13, man.rows());
        assertTrue(man.shards().size() > 1, "several shards");
        assertEquals(List.of(), Verifier.verify(out));

        // The reference runs the same batches the collector ran: up to 4 contexts, never straddling a shard.
        // (Across different batch sizes results agree only to float rounding: the matmul's blocking depends on the row count.)
        int perShard = man.shardRows() / 64;
        List<ActivationReader.Batch> contexts = new java.util.ArrayList<>();
        try (ActivationReader r = ActivationReader.open(out, new ActivationReader.Options(64, 1, null, 2))) {
            r.forEach(contexts::add);
        }
        assertEquals(13, contexts.size());
        for (int c = 0; c < contexts.size(); ) {
            int n = Math.min(Math.min(4, perShard - c % perShard), contexts.size() - c);
            int[][] tokens = new int[n][];
            for (int i = 0; i < n; i++) {
                assertEquals((c + i) * 64L, contexts.get(c + i).row()[0]);
                tokens[i] = contexts.get(c + i).tokens();
            }
            ActivationCache cache = new ActivationCache();
            m.transformer().runWithCache(tokens, CollectFixture.HOOKS, cache);
            for (String hook : CollectFixture.HOOKS) {
                float[] want = cache.get(hook).data();
                int d = want.length / (n * 64);
                for (int i = 0; i < n; i++) {
                    float[] got = contexts.get(c + i).activations(hook).data();
                    assertArrayEquals(Arrays.copyOfRange(want, i * 64 * d, (i + 1) * 64 * d), got, 0f, hook + " context " + (c + i));
                }
            }
            c += n;
        }
    }

    /**
     * Runs the forward until the JIT has compiled the kernels: Loupe's SIMD reductions sum in a different
     * order when interpreted than when compiled, so the first forwards of a fresh JVM differ in the last bits.
     */
    static void warmUp(LoadedModel m) {
        int[][] tokens = new int[4][64];
        for (int i = 0; i < 100; i++) m.transformer().runWithCache(tokens, CollectFixture.HOOKS, new ActivationCache());
    }

    @Test
    void tokensTraceBackToTheirDocuments() throws Exception {
        LoadedModel m = ModelLoader.load(CollectFixture.model(), null);
        Path data = CollectFixture.dataset(tmp, 2);
        Path out = tmp.resolve("store");
        CollectFixture.collection(data, out, 64 * 40, 1 << 20).run(m, QUIET);
        List<String> texts = DocumentTexts.read(data);
        java.util.Map<Integer, int[]> byDoc = new java.util.HashMap<>();
        try (ActivationReader r = ActivationReader.open(out, new ActivationReader.Options(1000, 1, null, 2))) {
            for (ActivationReader.Batch b : r) {
                for (int i = 0; i < b.rows(); i++) {
                    int[] docTokens = byDoc.computeIfAbsent(b.doc()[i], d -> m.tokens(texts.get(d)));
                    assertEquals(docTokens[b.pos()[i]], b.tokens()[i], "row " + b.row()[i]);
                }
            }
        }
    }

    @Test
    void halfPrecisionStoresRoundedActivations() throws Exception {
        LoadedModel m = ModelLoader.load(CollectFixture.model(), null);
        Path data = CollectFixture.dataset(tmp, 2);
        Collection f32 = CollectFixture.collection(data, tmp.resolve("f32"), 64 * 4, 1 << 20);
        f32.run(m, QUIET);
        for (DType t : List.of(DType.F16, DType.BF16)) {
            Path dir = tmp.resolve(t.name());
            new Collection(data, "text", CollectFixture.HOOKS, 64, dir, 64 * 4, t, 4, 1 << 20).run(m, QUIET);
            assertEquals(List.of(), Verifier.verify(dir));
            float[] a = first(tmp.resolve("f32")), b = first(dir);
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], Math.abs(a[i]) * (t == DType.F16 ? 1e-3 : 8e-3) + 1e-4, t + " element " + i);
        }
    }

    private static float[] first(Path dir) throws Exception {
        try (ActivationReader r = ActivationReader.open(dir, new ActivationReader.Options(256, 1, null, 1))) {
            return r.iterator().next().activations(CollectFixture.HOOKS.get(0)).data();
        }
    }

    @Test
    void unknownHookIsAClearErrorAndWritesNothing() throws Exception {
        LoadedModel m = ModelLoader.load(CollectFixture.model(), null);
        Path data = CollectFixture.dataset(tmp, 1);
        Path out = tmp.resolve("store");
        var e = assertThrows(IllegalArgumentException.class, () ->
                new Collection(data, "text", List.of("blocks.1.hook_resid_pots"), 64, out, -1, DType.F32, 4, 1 << 20).run(m, QUIET));
        assertTrue(e.getMessage().contains("blocks.1.hook_resid_post"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () ->
                new Collection(data, "text", List.of("blocks.0.attn.hook_pattern"), 64, out, -1, DType.F32, 4, 1 << 20).run(m, QUIET));
        assertTrue(e.getMessage().contains("not one vector per token"), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void invalidUtf8IsAClearErrorAndWritesNothing() throws Exception {
        LoadedModel m = ModelLoader.load(CollectFixture.model(), null);
        Path data = tmp.resolve("bad.jsonl");
        byte[] good = "{\"text\": \"Once upon a time there was a cat.\"}\n".getBytes();
        byte[] bad = "{\"text\": \"bad \u00ff\u00fe bytes\"}\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Files.write(data, concat(good, good, bad));
        Path out = tmp.resolve("store");
        var e = assertThrows(IllegalArgumentException.class, () -> CollectFixture.collection(data, out, -1, 1 << 20).run(m, QUIET));
        assertTrue(e.getMessage().contains("bad.jsonl:3: invalid UTF-8"), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void blankLinesAreSkippedAndMissingFieldsNamed() throws Exception {
        LoadedModel m = ModelLoader.load(CollectFixture.model(), null);
        Path data = CollectFixture.dataset(tmp, 2);
        List<String> lines = Files.readAllLines(data);
        Path spaced = tmp.resolve("spaced.jsonl");
        Files.write(spaced, List.of("", lines.get(0), "   ", "", lines.get(1), ""));
        StoreManifest a = CollectFixture.collection(data, tmp.resolve("a"), 64 * 8, 1 << 20).run(m, QUIET);
        StoreManifest b = CollectFixture.collection(spaced, tmp.resolve("b"), 64 * 8, 1 << 20).run(m, QUIET);
        assertEquals(a.digest(), b.digest());

        Path noField = tmp.resolve("nofield.jsonl");
        Files.write(noField, List.of("{\"body\": \"x\"}"));
        var e = assertThrows(IllegalArgumentException.class, () -> CollectFixture.collection(noField, tmp.resolve("c"), -1, 1 << 20).run(m, QUIET));
        assertTrue(e.getMessage().contains("nofield.jsonl:1: no string field 'text' (fields: [body])"), e.getMessage());
    }

    @Test
    void rerunOfACompleteStoreIsANoOpAndADifferentJobIsRefused() throws Exception {
        LoadedModel m = ModelLoader.load(CollectFixture.model(), null);
        Path data = CollectFixture.dataset(tmp, 1);
        Path out = tmp.resolve("store");
        StoreManifest first = CollectFixture.collection(data, out, 64 * 4, 1 << 20).run(m, QUIET);
        assertEquals(first, CollectFixture.collection(data, out, 64 * 4, 1 << 20).run(m, QUIET));
        var e = assertThrows(IllegalArgumentException.class, () ->
                new Collection(data, "text", List.of("blocks.0.hook_resid_post"), 64, out, 64 * 4, DType.F32, 4, 1 << 20).run(m, QUIET));
        assertTrue(e.getMessage().contains("hooks differs"), e.getMessage());
    }

    static byte[] concat(byte[]... parts) {
        var o = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }
}
