package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.ProgressBar;
import dev.loupe.model.SharedModels;
import dev.loupe.sae.FeatureScan;
import dev.loupe.sae.ScanTarget;
import dev.loupe.sae.TextContexts;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.TranscoderSet;
import dev.loupe.server.circuits.ServedTranscoders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve --transcoders DIR} finds DIR/features/layer_{i}.db by default; a named stores folder without stores is refused. */
class ServedTranscodersTest {
    @TempDir
    Path dir;

    @Test
    void opensTheStoresBesideTheTranscoders() throws Exception {
        LoadedModel model = ModelLoader.load(SharedModels.path("gpt2-tiny-random").toString(), null);
        TranscoderSet tc = (TranscoderSet) CircuitTracerFormat.read(SharedModels.path("circuits-tiny/plt-skip"));
        Path set = dir.resolve("set");
        CircuitTracerFormat.write(tc, set);
        Path stores = Files.createDirectories(set.resolve(ScanTarget.TRANSCODER_STORES));
        TextContexts texts = new TextContexts(List.of("The cat sat on the mat because it was warm."), model.tokenizer(), 8);
        FeatureScan.run(model.transformer(), model.tokenizer(), ScanTarget.of(model.transformer(), tc, 1), texts, 1, 1, 2, 2, 0,
                stores.resolve(ScanTarget.transcoderStore(1)), ProgressBar.silent());

        ServedTranscoders served = ServedTranscoders.load(set, null);
        assertNull(served.stores()[0], "layer 0 has no store");
        assertNotNull(served.stores()[1]);
        assertEquals(0, served.stores()[1].feature(0).get("id").asInt());
        assertNull(ServedTranscoders.load(set, null).stores()[1].feature(tc.width(1)), "a feature the store does not know");

        Path empty = Files.createDirectories(dir.resolve("empty"));
        IOException e = assertThrows(IOException.class, () -> ServedTranscoders.load(set, empty));
        assertTrue(e.getMessage().contains("layer_{i}.db"), e.getMessage());
    }
}
