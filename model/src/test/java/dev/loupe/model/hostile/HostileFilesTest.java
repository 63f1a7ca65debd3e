package dev.loupe.model.hostile;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.ConfigException;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.FormatException;
import dev.loupe.model.format.HfConfig;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.Llama2cCheckpoint;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.model.format.WeightStore;
import dev.loupe.model.tokenizer.TokenizerFormatException;
import dev.loupe.model.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Files whose numbers describe more than the file holds, or numbers that break arithmetic, are refused before
 * anything large is allocated, with an error naming the file and the field (issue 15, item 1 and 5).
 */
class HostileFilesTest {
    private static final ObjectMapper JSON = Json.MAPPER;

    @TempDir
    Path tmp;

    private static void assertNames(Throwable e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' lacks '" + p + "'");
    }

    @Test
    void llama2cHeaderClaimingHundredMillionLayersIsRefusedFromItsSizeAlone() throws IOException {
        Path p = tmp.resolve("huge.bin");
        ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(64).putInt(128).putInt(100_000_000).putInt(8).putInt(4).putInt(512).putInt(256);
        Files.write(p, b.array());
        FormatException e = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertThrows(FormatException.class, () -> Llama2cCheckpoint.load(p)));
        assertNames(e, p.toString(), "100000000 layers", "28 bytes");
    }

    /** A minimal byte-level BPE tokenizer.json with the given vocab and added tokens. */
    private Path tokenizer(String vocab, String added) throws IOException {
        Path p = tmp.resolve("tokenizer.json");
        Files.writeString(p, """
            {"added_tokens": [%s], "normalizer": null, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false},
             "post_processor": null, "decoder": {"type": "ByteLevel"},
             "model": {"type": "BPE", "vocab": {%s}, "merges": []}}""".formatted(added, vocab));
        return p;
    }

    @Test
    void tokenizerVocabIdOfABillionIsRefusedBeforeTheIdTableIsAllocated() throws IOException {
        Path p = tokenizer("\"a\": 0, \"b\": 1000000000", "");
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(p));
        assertNames(e, p.toString(), "model.vocab", "1000000000");
    }

    @Test
    void tokenizerVocabIdOfIntMaxIsRefusedWithoutOverflow() throws IOException {
        Path p = tokenizer("\"a\": 0, \"b\": 2147483647", "");
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(p));
        assertNames(e, p.toString(), "model.vocab", "2147483647");
    }

    @Test
    void negativeAddedTokenIdIsRefusedNamingTheEntry() throws IOException {
        Path p = tokenizer("\"a\": 0, \"b\": 1", "{\"id\": -5, \"content\": \"<x>\", \"special\": true}");
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(p));
        assertNames(e, p.toString(), "added_tokens[0].id", "-5");
    }

    @Test
    void addedTokenIdFarPastTheVocabularyIsRefused() throws IOException {
        Path p = tokenizer("\"a\": 0, \"b\": 1", "{\"id\": 900000000, \"content\": \"<x>\", \"special\": true}");
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(p));
        assertNames(e, p.toString(), "added_tokens", "900000000");
    }

    /** An id of 2^31 - 1 once overflowed the table size to a negative number and passed the bound (found by the fuzzer). */
    @Test
    void addedTokenIdAtIntMaxIsRefused() throws IOException {
        Path p = tokenizer("\"a\": 0, \"b\": 1", "{\"id\": 2147483647, \"content\": \"<x>\", \"special\": true}");
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(p));
        assertNames(e, p.toString(), "added_tokens", "2147483647");
    }

    /**
     * Config values found by the fuzzer and the field sweep ({@link ConfigFieldSweepTest}) that crashed or allocated
     * before any weight was read, each now refused naming the field: a rotary_pct of 10^9 and a head_dim of 10^9 (a
     * rotary table of half a billion frequencies, out of heap), a layer count of 10^9 (per-layer attention specs, out
     * of heap), Gemma 3's global-layer period of 0 (a division by zero).
     */
    @ParameterizedTest(name = "{0} {1}={2}")
    @CsvSource(delimiter = '|', value = {
            "pythia-tiny-random | rotary_pct             | 1e9        | 1.0E9      | (0, 1]",
            "stories260K-hf     | head_dim               | 1000000000 | 1000000000 | at most 131072",
            "stories260K-hf     | num_hidden_layers      | 1000000000 | 1000000000 | at most 4096 layers",
            "gemma3-tiny-random | sliding_window_pattern | 0          | 0          | a positive size"})
    void configValueFoundByFuzzingIsRefusedNamingTheField(String model, String field, String value, String printed, String expected)
            throws IOException {
        Path dir = copyWith(model, field, JSON.readTree(value));
        var e = assertThrows(ConfigException.class, () -> ModelLoader.load(dir.toString(), null));
        assertNames(e, field, printed, expected);
    }

    /** A copy of gpt2-tiny-random whose config.json has {@code field} set to {@code value}. */
    private Path gpt2With(String field, Object value) throws IOException {
        return copyWith("gpt2-tiny-random", field, value);
    }

    /** A copy of the shared test model {@code model} whose config.json has {@code field} set to {@code value}. */
    private Path copyWith(String model, String field, Object value) throws IOException {
        Path src = SharedModels.path(model);
        Path dir = tmp.resolve(model + "-" + field);
        Files.createDirectories(dir);
        ObjectNode cfg = (ObjectNode) JSON.readTree(src.resolve("config.json").toFile());
        cfg.set(field, JSON.valueToTree(value));
        Files.writeString(dir.resolve("config.json"), cfg.toString());
        Files.createSymbolicLink(dir.resolve("model.safetensors"), src.resolve("model.safetensors").toAbsolutePath());
        return dir;
    }

    @Test
    void configWithZeroHeadsNamesTheFieldInsteadOfDividingByZero() throws IOException {
        Path dir = gpt2With("n_head", 0);
        Exception e = assertThrows(RuntimeException.class, () -> ModelLoader.load(dir.toString(), null));
        assertNames(e, dir.resolve("config.json").toString(), "'n_head'", "positive");
    }

    @Test
    void absurdLayerNormEpsilonIsRefused() throws IOException {
        Path dir = gpt2With("layer_norm_epsilon", 1e30);
        Exception e = assertThrows(RuntimeException.class, () -> ModelLoader.load(dir.toString(), null));
        assertNames(e, "config.json", "'layer_norm_epsilon'", "epsilon");
    }

    @Test
    void configJsonBeyondJacksonsLimitsIsAFormatErrorNotANullPointer() throws IOException {
        Path deep = tmp.resolve("deep.json");
        Files.writeString(deep, "[".repeat(5000) + "]".repeat(5000));
        assertNames(assertThrows(FormatException.class, () -> HfConfig.read(deep)), deep.toString(), "not valid JSON");
        Path digits = tmp.resolve("digits.json");
        Files.writeString(digits, "{\"n_head\": " + "9".repeat(5000) + "}");
        assertNames(assertThrows(FormatException.class, () -> HfConfig.read(digits)), digits.toString(), "not valid JSON");
    }

    /** A copy of gpt2-tiny-random with one tensor replaced by what {@code write} adds under its name. */
    private Path gpt2WithTensor(String name, java.util.function.BiConsumer<SafeTensorsWriter, Tensor> write) throws IOException {
        Path src = SharedModels.path("gpt2-tiny-random");
        Path dir = tmp.resolve("gpt2-tensor");
        Files.createDirectories(dir);
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        SafeTensorsWriter w = new SafeTensorsWriter();
        try (WeightStore ws = SafeTensors.open(src.resolve("model.safetensors"))) {
            for (String n : ws.names()) {
                if (n.equals(name)) write.accept(w, ws.tensor(n));
                else w.add(n, ws.tensor(n));
            }
            w.write(dir.resolve("model.safetensors"));
        }
        return dir;
    }

    @Test
    void nanWeightIsRefusedAtLoadNamingTheTensor() throws IOException {
        Path dir = gpt2WithTensor("transformer.h.1.mlp.c_fc.weight", (w, t) -> {
            t.data()[77] = Float.NaN;
            w.add("transformer.h.1.mlp.c_fc.weight", t);
        });
        Exception e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(dir.toString(), null));
        assertNames(e, "transformer.h.1.mlp.c_fc.weight", "NaN", "element 77");
    }

    @Test
    void infiniteWeightIsRefusedToo() throws IOException {
        Path dir = gpt2WithTensor("transformer.ln_f.weight", (w, t) -> {
            t.data()[3] = Float.NEGATIVE_INFINITY;
            w.add("transformer.ln_f.weight", t);
        });
        assertNames(assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(dir.toString(), null)), "transformer.ln_f.weight", "Infinity");
    }

    @Test
    void integerTypedWeightIsRefusedNamingTheTensor() throws IOException {
        Path dir = gpt2WithTensor("transformer.ln_f.bias", (w, t) -> w.addLongs("transformer.ln_f.bias", DType.I64, new long[t.numel()], t.shape()));
        assertNames(assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(dir.toString(), null)), "transformer.ln_f.bias", "I64", "floating-point");
    }
}
