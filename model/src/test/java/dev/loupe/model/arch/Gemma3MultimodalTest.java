package dev.loupe.model.arch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.Checkpoints;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.model.format.WeightStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The language tower of a {@code Gemma3ForConditionalGeneration} checkpoint (config under {@code text_config},
 * weights under {@code language_model.model.}, as older Hugging Face saves it, or {@code model.language_model.}, as
 * newer ones do, beside a vision tower) computes what the text-only Gemma 3 model does, bit for bit.
 */
class Gemma3MultimodalTest {
    private static final ObjectMapper JSON = Json.MAPPER;

    @TempDir
    Path dir;

    private void writeMultimodal(String prefix, ObjectNode extraTop) throws Exception {
        Path src = SharedModels.path("gemma3-tiny-random");
        ObjectNode text = (ObjectNode) JSON.readTree(src.resolve("config.json").toFile());
        text.remove("architectures");
        ObjectNode top = JSON.createObjectNode();
        top.putArray("architectures").add("Gemma3ForConditionalGeneration");
        top.put("model_type", "gemma3").put("image_token_index", 999).put("boi_token_index", 997).put("eoi_token_index", 998)
                .put("mm_tokens_per_image", 4);
        top.set("text_config", text);
        top.putObject("vision_config").put("model_type", "siglip_vision_model").put("hidden_size", 8);
        if (extraTop != null) top.setAll(extraTop);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(top));
        SafeTensorsWriter w = new SafeTensorsWriter();
        try (WeightStore s = SafeTensors.open(src.resolve("model.safetensors"))) {
            for (String n : s.names()) w.add(prefix + n.substring("model.".length()), s.tensor(n));
        }
        w.add("vision_tower.vision_model.embeddings.patch_embedding.weight", Tensor.zeros(8, 3, 2, 2));
        w.write(dir.resolve("model.safetensors"));
    }

    private HookedTransformer load() throws Exception {
        try (Checkpoint ckpt = Checkpoints.open(dir)) {
            return Architectures.build(ckpt);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"language_model.model.", "model.language_model."})
    void languageTowerEqualsTextModel(String prefix) throws Exception {
        writeMultimodal(prefix, null);
        HookedTransformer tower = load();
        HookedTransformer text = SharedModels.load("gemma3-tiny-random");
        assertEquals("Gemma3ForConditionalGeneration", tower.config().architecture());
        assertEquals(text.hooks().specs().stream().map(Object::toString).toList(), tower.hooks().specs().stream().map(Object::toString).toList());
        int[][] tokens = {{2, 40, 7, 612, 33, 90, 4, 5, 81}};
        assertArrayEquals(text.forward(tokens).data(), tower.forward(tokens).data());
    }

    @Test
    void unknownTopLevelFieldIsRefused() throws Exception {
        writeMultimodal("language_model.model.", (ObjectNode) JSON.createObjectNode().put("audio_config", "x"));
        var e = assertThrows(IllegalArgumentException.class, this::load);
        assertTrue(e.getMessage().contains("field 'audio_config'"), e.getMessage());
    }
}
