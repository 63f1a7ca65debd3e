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

/** SAE training reads a collected store in order, cycles it, and resumes at the same row. */
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
}
