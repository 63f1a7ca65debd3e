package dev.loupe.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.activations.Collection;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.DType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SAE training reads a collected store in order, cycles it, and resumes at the same row; the store and the live source
 * hand out several hooks side by side, row-aligned.
 */
class StoreSourceTest {
    @TempDir
    Path dir;

    @Test
    void readsCyclesAndResumes() throws Exception {
        LoadedModel m = ModelLoader.load(SharedModels.path("stories260K/stories260K.bin").toString(), null);
        Path data = dir.resolve("docs.jsonl");
        Files.writeString(data, "{\"text\": \"Once upon a time there was a little dog. The dog liked to run in the park with Tom.\"}\n"
                + "{\"text\": \"Lily had a red ball. She played with it every day, and she was very happy.\"}\n");
        Path store = dir.resolve("store");
        String hook = "blocks.1.hook_resid_post";
        new Collection(data, "text", List.of(hook), 16, store, -1, DType.F32, 2, 1 << 20)
                .run(m, new PrintStream(OutputStream.nullOutputStream()));
        try (StoreSource src = new StoreSource(store, hook)) {
            assertEquals(64, src.dIn());
            float[] first = new float[7 * 64];
            src.next(first, 7);
            ByteArrayOutputStream state = new ByteArrayOutputStream();
            src.save(new DataOutputStream(state));
            float[] after = new float[100 * 64];
            src.next(after, 100);
            src.restore(new DataInputStream(new ByteArrayInputStream(state.toByteArray())));
            float[] again = new float[100 * 64];
            src.next(again, 100);
            assertArrayEquals(after, again, "restored source continues with the same rows (cycling past the store's end)");
        }
        var e = assertThrows(IllegalArgumentException.class, () -> new StoreSource(store, "blocks.3.hook_resid_post"));
        assertTrue(e.getMessage().contains("no activations for 'blocks.3.hook_resid_post'") && e.getMessage().contains(hook), e.getMessage());
    }

    /** blocks.0.hook_resid_post and blocks.1.hook_resid_pre are the same vector: every paired row's halves must agree. */
    @Test
    void pairedHooksStayRowAlignedThroughStoreShuffleAndLiveBuffer() throws Exception {
        LoadedModel m = ModelLoader.load(SharedModels.path("stories260K/stories260K.bin").toString(), null);
        Path data = dir.resolve("docs.jsonl");
        Files.writeString(data, "{\"text\": \"Once upon a time there was a little dog. The dog liked to run in the park with Tom.\"}\n"
                + "{\"text\": \"Lily had a red ball. She played with it every day, and she was very happy.\"}\n");
        List<String> pair = List.of("blocks.0.hook_resid_post", "blocks.1.hook_resid_pre");
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        new Collection(data, "text", List.of("blocks.0.hook_resid_post", "blocks.1.hook_resid_pre", "blocks.1.hook_mlp_out"), 16, dir.resolve("c"), -1,
                DType.F32, 2, 1 << 12).run(m, quiet);
        new dev.loupe.activations.Shuffler(dir.resolve("c"), dir.resolve("s"), 1 << 20, 3, quiet).run();
        try (StoreSource src = new StoreSource(dir.resolve("s"), pair)) {
            assertEquals(128, src.dIn());
            assertHalvesEqual(src, 50);
        }
        TextContexts texts = new TextContexts(TextContexts.read(data, "text"), m.requireTokenizer(), 16);
        assertHalvesEqual(new LiveModelSource(m.transformer(), pair, texts, 256, 2, 7, true), 50);
    }

    private static void assertHalvesEqual(ActivationSource src, int rows) throws Exception {
        float[] x = new float[rows * 128];
        src.next(x, rows);
        boolean nonZero = false;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < 64; c++) {
                assertEquals(x[r * 128 + c], x[r * 128 + 64 + c], 0f, "row " + r);
                nonZero |= x[r * 128 + c] != 0;
            }
        }
        assertTrue(nonZero);
    }
}
