package dev.loupe.cli;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.ModelLoader;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.SafeTensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every named shape's published config.json is accepted by its adapter: only the (absent) weights stop the load. */
class ShapeConfigTest {
    @TempDir
    Path dir;

    @Test
    void adaptersAcceptEveryShapesConfig() throws Exception {
        for (ModelShape s : ModelShape.values()) {
            if (s.family == ModelShape.Family.GPT2) continue; // written by RandomGpt2, loaded in BenchCommandTest
            Path d = Files.createDirectories(dir.resolve(s.id));
            new SafeTensorsWriter().write(d.resolve("model.safetensors"));
            Files.writeString(d.resolve("config.json"), s.config(DType.BF16).toString());
            Exception e = assertThrows(Exception.class, () -> ModelLoader.load(d.toString(), null));
            assertTrue(e.getMessage().contains("no tensor 'model.embed_tokens.weight'"), s.id + ": " + e.getMessage());
        }
    }
}
