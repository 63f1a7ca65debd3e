package dev.loupe.model.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.model.SharedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Checkpoints#open} recognises each supported layout. */
class CheckpointsTest {
    @TempDir
    Path dir;

    @Test
    void opensHfFoldersAndLlama2cFiles() throws Exception {
        Path hf = SharedModels.path("stories260K-hf");
        try (Checkpoint c = Checkpoints.open(hf)) {
            assertEquals("LlamaForCausalLM", c.config().architecture());
            assertEquals(hf, c.source());
            assertTrue(c.weights().contains("model.embed_tokens.weight"));
        }
        try (Checkpoint c = Checkpoints.open(hf.resolve("model.safetensors"))) {
            assertEquals(64, c.config().requireInt("hidden_size"));
        }
        try (Checkpoint c = Checkpoints.open(SharedModels.path("stories260K/stories260K.bin"))) {
            assertEquals("interleaved", c.config().requireString(Llama2cCheckpoint.ROPE_LAYOUT_KEY));
        }
    }

    @Test
    void folderWithoutConfigIsRefused() throws Exception {
        new SafeTensorsWriter().add("w", Tensor.scalar(1)).write(dir.resolve("model.safetensors"));
        FormatException e = assertThrows(FormatException.class, () -> Checkpoints.open(dir));
        assertTrue(e.getMessage().contains("no config.json in " + dir + " to say which architecture the weights are for"), e.getMessage());
    }

    @Test
    void unknownFileKindsAreRefused() throws Exception {
        Path p = dir.resolve("weights.gguf");
        Files.writeString(p, "GGUF");
        assertTrue(assertThrows(FormatException.class, () -> Checkpoints.open(p)).getMessage()
                .contains("not a model folder, .safetensors, .index.json, llama2.c .bin or .onnx file"));
    }
}
