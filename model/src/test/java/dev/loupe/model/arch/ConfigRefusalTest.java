package dev.loupe.model.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.Checkpoints;
import dev.loupe.model.format.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A config field Loupe does not implement is refused with the field named, never ignored. */
class ConfigRefusalTest {
    private static final ObjectMapper JSON = Json.MAPPER;

    @TempDir
    Path dir;

    /** The shared model {@code name} with its config.json edited. */
    private HookedTransformer load(String name, Consumer<ObjectNode> edit) throws Exception {
        Path src = SharedModels.path(name);
        ObjectNode cfg = (ObjectNode) JSON.readTree(src.resolve("config.json").toFile());
        edit.accept(cfg);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(cfg));
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (Checkpoint ckpt = Checkpoints.open(dir)) {
            return Architectures.build(ckpt);
        }
    }

    private String refusal(String name, Consumer<ObjectNode> edit) {
        return assertThrows(IllegalArgumentException.class, () -> load(name, edit)).getMessage();
    }

    @Test
    void unknownRopeScalingTypeIsRefused() {
        String m = refusal("qwen3-tiny-random", c -> c.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4.0));
        assertTrue(m.contains("'rope_scaling'") && m.contains("yarn"), m);
        String g = refusal("gemma3-tiny-random", c -> ((ObjectNode) c.get("rope_scaling")).put("rope_type", "dynamic"));
        assertTrue(g.contains("'rope_scaling'") && g.contains("dynamic"), g);
    }

    @Test
    void mixtureOfExpertsFieldsAreRefused() {
        String m = refusal("qwen3-tiny-random", c -> c.put("num_experts", 8).put("num_experts_per_tok", 2));
        assertTrue(m.contains("field 'num_experts'") && m.contains("Qwen3ForCausalLM") && m.contains("not implemented"), m);
        String x = refusal("mistral-tiny-random", c -> c.put("num_local_experts", 8));
        assertTrue(x.contains("field 'num_local_experts'") && x.contains("MistralForCausalLM"), x);
    }

    @Test
    void unknownLayerTypeIsRefused() {
        String m = refusal("gemma2-tiny-random",
                c -> c.putArray("layer_types").add("sliding_attention").add("chunked_attention"));
        assertTrue(m.contains("'layer_types'") && m.contains("entry 1") && m.contains("chunked_attention"), m);
        String n = refusal("gemma2-tiny-random", c -> c.putArray("layer_types").add("sliding_attention"));
        assertTrue(n.contains("'layer_types'") && n.contains("1 entries") && n.contains("2 layers"), n);
    }

    @Test
    void valuesLoupeDoesNotImplementAreRefusedAndTheImplementedOnesAccepted() throws Exception {
        String m = refusal("gemma3-tiny-random", c -> c.put("use_bidirectional_attention", true));
        assertTrue(m.contains("'use_bidirectional_attention'") && m.contains("only with false"), m);
        load("gemma3-tiny-random", c -> c.put("use_bidirectional_attention", false));
        String q = refusal("qwen3-tiny-random", c -> c.put("use_sliding_window", true));
        assertTrue(q.contains("sliding_window"), q);
        String g = refusal("gpt2-tiny-random", c -> c.put("scale_attn_by_inverse_layer_idx", true));
        assertTrue(g.contains("'scale_attn_by_inverse_layer_idx'"), g);
    }

    @Test
    void fieldsRealCheckpointsCarryWithoutEffectAreAccepted() throws Exception {
        load("mistral-tiny-random", c -> c.put("attention_dropout", 0.0).put("initializer_range", 0.02).put("pretraining_tp", 1)
                .put("is_llama_config", true).put("rope_interleaved", false).put("use_cache", true).put("transformers_version", "4.56.0")
                .put("mlp_bias", false));
        load("gemma2-tiny-random", c -> c.put("cache_implementation", "hybrid").put("sliding_window_size", 4));
        String m = refusal("mistral-tiny-random", c -> c.put("rope_interleaved", true));
        assertTrue(m.contains("'rope_interleaved'"), m);
    }

    @Test
    void bothConfigStylesGiveTheSameLayers() throws Exception {
        HookedTransformer older = SharedModels.load("gemma3-tiny-random");
        HookedTransformer newer = load("gemma3-tiny-random", c -> {
            c.remove("sliding_window_pattern");
            c.putArray("layer_types").add("sliding_attention").add("sliding_attention").add("full_attention");
        });
        for (int l = 0; l < 3; l++) {
            assertEquals(older.config().attention(l).window(), newer.config().attention(l).window(), "window of block " + l);
            assertTrue(older.config().attention(l).rotary() != null && newer.config().attention(l).rotary() != null);
        }
        assertEquals(4, older.config().attention(0).window());
        assertEquals(0, older.config().attention(2).window());
        int[][] tokens = {{2, 5, 900, 31, 7, 64, 8, 123}};
        assertEquals(java.util.Arrays.toString(older.forward(tokens).data()), java.util.Arrays.toString(newer.forward(tokens).data()));
        HookedTransformer gemma2 = load("gemma2-tiny-random", c -> c.putArray("layer_types").add("sliding_attention").add("full_attention"));
        assertEquals(java.util.Arrays.toString(SharedModels.load("gemma2-tiny-random").forward(tokens).data()),
                java.util.Arrays.toString(gemma2.forward(tokens).data()), "Gemma 2: even blocks local, in either style");
    }

    @Test
    void mistralWindowIsAppliedAndQwenWindowOnlyWhenSwitchedOn() throws Exception {
        HookedTransformer mistral = SharedModels.load("mistral-tiny-random");
        for (int l = 0; l < 2; l++) assertEquals(4, mistral.config().attention(l).window());
        HookedTransformer qwen = SharedModels.load("qwen3-tiny-random");
        for (int l = 0; l < 2; l++) assertEquals(0, qwen.config().attention(l).window(), "use_sliding_window false");
        HookedTransformer qwenWindowed = load("qwen3-tiny-random",
                c -> c.put("use_sliding_window", true).put("sliding_window", 4).put("max_window_layers", 1));
        assertEquals(0, qwenWindowed.config().attention(0).window());
        assertEquals(4, qwenWindowed.config().attention(1).window(), "Qwen: blocks from max_window_layers on are local");
    }
}
