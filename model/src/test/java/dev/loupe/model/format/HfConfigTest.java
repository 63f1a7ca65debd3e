package dev.loupe.model.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.SharedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Typed access to Hugging Face config.json files, with errors that say what is wrong and for whom. */
class HfConfigTest {
    @TempDir
    Path dir;

    private HfConfig config(String json) throws Exception {
        Path p = dir.resolve("config.json");
        Files.writeString(p, json);
        return HfConfig.read(p);
    }

    @Test
    void readsTheSharedLlamaConfig() throws Exception {
        HfConfig c = HfConfig.read(SharedModels.path("stories260K-hf/config.json"));
        assertEquals("LlamaForCausalLM", c.architecture());
        assertEquals(64, c.requireInt("hidden_size"));
        assertEquals(4, c.requireInt("num_key_value_heads"));
        assertEquals(1e-5, c.requireDouble("rms_norm_eps"));
        assertEquals(10000.0, c.doubleOr("rope_theta", 1));
        assertTrue(c.booleanOr("tie_word_embeddings", false));
        assertEquals("silu", c.requireString("hidden_act"));
        assertTrue(c.ropeScaling().isEmpty());
    }

    @Test
    void aliasesAndNullsServeGpt2StyleConfigs() throws Exception {
        HfConfig c = HfConfig.read(SharedModels.path("gpt2-tiny-random/config.json"));
        assertEquals("GPT2LMHeadModel", c.architecture());
        assertEquals(64, c.requireInt("hidden_size", "n_embd"));
        assertFalse(c.has("n_inner"), "null counts as absent");
        assertEquals(256, c.intOr("n_inner", 4 * 64));
    }

    @Test
    void missingRequiredFieldNamesFileFieldAndArchitecture() throws Exception {
        HfConfig c = config("{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 64}");
        ConfigException e = assertThrows(ConfigException.class, () -> c.requireInt("num_attention_heads"));
        assertEquals(dir.resolve("config.json") + ": missing field 'num_attention_heads' (needed for LlamaForCausalLM)", e.getMessage());
        e = assertThrows(ConfigException.class, () -> c.requireInt("n_layer", "num_hidden_layers"));
        assertTrue(e.getMessage().endsWith("config.json: missing field 'n_layer' (or 'num_hidden_layers') (needed for LlamaForCausalLM)"), e.getMessage());
    }

    @Test
    void wrongTypesAreRefused() throws Exception {
        HfConfig c = config("{\"model_type\": \"gpt2\", \"n_embd\": \"64\", \"eps\": 1.5, \"tie\": 1}");
        assertEquals("gpt2", c.architecture());
        ConfigException e = assertThrows(ConfigException.class, () -> c.requireInt("n_embd"));
        assertTrue(e.getMessage().endsWith("config.json: field 'n_embd' is \"64\", expected an int (needed for gpt2)"), e.getMessage());
        assertThrows(ConfigException.class, () -> c.requireInt("eps"));
        assertThrows(ConfigException.class, () -> c.booleanOr("tie", true));
        assertEquals(1.5, c.requireDouble("eps"));
    }

    @Test
    void ropeScalingIsANestedConfig() throws Exception {
        HfConfig c = config("{\"architectures\": [\"LlamaForCausalLM\"], \"rope_scaling\": "
                + "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"original_max_position_embeddings\": 8192}}");
        HfConfig rs = c.ropeScaling().orElseThrow();
        assertEquals("llama3", rs.requireString("rope_type"));
        assertEquals(8.0, rs.requireDouble("factor"));
        assertEquals(8192, rs.requireInt("original_max_position_embeddings"));
        ConfigException e = assertThrows(ConfigException.class, () -> rs.requireDouble("low_freq_factor"));
        assertTrue(e.getMessage().endsWith("missing field 'rope_scaling.low_freq_factor' (needed for LlamaForCausalLM)"), e.getMessage());
    }

    @Test
    void unknownArchitectureAndBadJson() throws Exception {
        HfConfig c = config("{}");
        assertTrue(assertThrows(ConfigException.class, c::architecture).getMessage().contains("neither 'architectures' nor 'model_type'"));
        assertEquals(dir.resolve("config.json") + ": missing field 'x'", assertThrows(ConfigException.class, () -> c.requireInt("x")).getMessage());
        assertTrue(assertThrows(FormatException.class, () -> config("{\"a\": ")).getMessage().contains("config.json: not valid JSON"));
        assertTrue(assertThrows(FormatException.class, () -> config("[]")).getMessage().contains("expected a JSON object"));
    }

    @Test
    void jsonIsACopy() throws Exception {
        ObjectNode src = (ObjectNode) Json.MAPPER.readTree("{\"a\": 1}");
        HfConfig c = new HfConfig(src, "inline");
        src.put("a", 2);
        c.json().put("a", 3);
        assertEquals(1, c.requireInt("a"));
    }
}
