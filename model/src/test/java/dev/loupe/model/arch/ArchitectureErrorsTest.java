package dev.loupe.model.arch;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.model.format.WeightStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints that do not fit their config fail with messages naming the thing at fault. */
class ArchitectureErrorsTest {
    @TempDir
    Path dir;

    private Path copyOfGpt2(String config) throws Exception {
        Path src = SharedModels.path("gpt2-tiny-random");
        Files.writeString(dir.resolve("config.json"), config);
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        return dir;
    }

    private static String gpt2Config() throws Exception {
        return Files.readString(SharedModels.path("gpt2-tiny-random").resolve("config.json"));
    }

    @Test
    void unknownArchitectureListsSupportedOnes() throws Exception {
        Path p = copyOfGpt2(gpt2Config().replace("GPT2LMHeadModel", "FancyNewForCausalLM").replace("\"gpt2\"", "\"fancy\""));
        var e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(p.toString(), null));
        assertTrue(e.getMessage().contains("unknown architecture 'FancyNewForCausalLM'") && e.getMessage().contains("LlamaForCausalLM"),
                e.getMessage());
    }

    @Test
    void missingConfigFieldIsNamed() throws Exception {
        Path p = copyOfGpt2(gpt2Config().replaceAll("\"n_head\"\\s*:\\s*\\d+,?", ""));
        var e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(p.toString(), null));
        assertTrue(e.getMessage().contains("n_head"), e.getMessage());
    }

    @Test
    void tensorWithWrongShapeNamesBothShapes() throws Exception {
        Path src = SharedModels.path("gpt2-tiny-random");
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        SafeTensorsWriter w = new SafeTensorsWriter();
        try (WeightStore s = SafeTensors.open(src.resolve("model.safetensors"))) {
            for (String n : s.names()) {
                w.add(n, n.endsWith("h.0.attn.c_proj.weight") ? dev.loupe.core.Tensor.zeros(64, 32) : s.tensor(n));
            }
            w.write(dir.resolve("model.safetensors"));
        }
        var e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(dir.toString(), null));
        assertTrue(e.getMessage().contains("h.0.attn.c_proj.weight") && e.getMessage().contains("[64, 32]")
                && e.getMessage().contains("[64, 64]"), e.getMessage());
    }
}
