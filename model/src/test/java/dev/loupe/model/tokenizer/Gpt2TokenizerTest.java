package dev.loupe.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.Json;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** GPT-2 byte-level BPE from vocab.json + merges.txt against independently computed ids. */
class Gpt2TokenizerTest {
    static Path dir;
    static Tokenizer tok;

    @BeforeAll
    static void load() throws Exception {
        dir = SharedModels.path("gpt2-tiny-random");
        tok = Tokenizers.load(dir);
    }

    @Test
    void folderWithVocabAndMergesLoadsGpt2() {
        assertInstanceOf(HuggingFaceTokenizer.class, tok);
        assertEquals(50257, tok.vocabSize());
        assertEquals(50256, tok.bosId().getAsInt());
        assertEquals(50256, tok.eosId().getAsInt());
        assertFalse(tok.addsBos());
        assertEquals("Ġthe", tok.tokenString(262));
    }

    @Test
    void matchesTokenizerCases() throws Exception {
        JsonNode cases = Json.MAPPER.readTree(dir.resolve("tokenizer-cases.json").toFile());
        assertTrue(cases.size() >= 6);
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            int[] expected = new int[c.get("ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = c.get("ids").get(i).asInt();
            }
            assertArrayEquals(expected, tok.encode(text), () -> "encode " + text);
            assertEquals(text, tok.decode(expected), () -> "decode " + Arrays.toString(expected));
        }
    }

    @Test
    void encodeWithBosDoesNotAddBosForGpt2() {
        assertArrayEquals(tok.encode("Hello"), tok.encodeWithBos("Hello"));
    }

    @Test
    void vocabJsonPathLoadsItsSiblingMerges() throws Exception {
        Tokenizer t = Tokenizers.load(dir.resolve("vocab.json"));
        assertArrayEquals(new int[] {464, 2068, 7586, 21831}, t.encode("The quick brown fox"));
    }

    @Test
    void streamingDecodeNeverRewritesEmittedText() {
        String text = "ねこ 🐱! émigré";
        int[] ids = tok.encode(text);
        String previous = "";
        for (int n = 0; n <= ids.length; n++) {
            String s = tok.decode(Arrays.copyOf(ids, n));
            assertTrue(s.startsWith(previous), () -> "'" + s + "' does not extend the previous decode");
            assertFalse(s.contains("\uFFFD"), () -> "garbage in partial decode '" + s + "'");
            previous = s;
        }
        assertEquals(text, previous);
    }

    @Test
    void decodeSkipsEndOfText() {
        int[] ids = {50256, 15496, 50256};
        assertEquals("Hello", tok.decode(ids));
    }

    @Test
    void invalidBytesBecomeReplacementCharacter() {
        // 12520 is the byte-level token for " " F0 9F (a space, then the start of a 4-byte emoji):
        // alone, the partial emoji is held back; followed by "!" it can never complete, so it
        // renders as U+FFFD.
        assertEquals(" ", tok.decode(new int[] {12520}));
        assertEquals(" \uFFFD!", tok.decode(new int[] {12520, 0}));
    }
}
