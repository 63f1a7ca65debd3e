package dev.loupe.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** llama2.c's tokenizer on the stories260K vocabulary (512 tokens). */
class Llama2cTokenizerTest {
    static Path dir;
    static Tokenizer tok;

    @BeforeAll
    static void load() throws Exception {
        dir = SharedModels.path("stories260K");
        tok = Tokenizers.load(dir.resolve("tok512.bin"));
    }

    @Test
    void header() {
        assertInstanceOf(Llama2cTokenizer.class, tok);
        assertEquals(512, tok.vocabSize());
        assertEquals(1, tok.bosId().getAsInt());
        assertEquals(2, tok.eosId().getAsInt());
        assertTrue(tok.addsBos());
        assertEquals("<0x0A>", tok.tokenString(13));
        assertEquals(" t", tok.tokenString(259));
    }

    @Test
    void folderFindsTokBin() throws Exception {
        // the folder has no tokenizer.json/vocab.json/tokenizer.bin, so tok512.bin is used
        assertInstanceOf(Llama2cTokenizer.class, Tokenizers.load(dir));
    }

    @Test
    void roundTripsSentences() {
        String[] sentences = {
            "Once upon a time, there was a little girl named Lily.",
            "She loved to play outside in the park.",
            "Tom said, \"Let's go!\"\nThey ran home.",
            "Zebras? 123 jump—quickly… über café ☃",
            "  two leading spaces",
        };
        for (String s : sentences) {
            int[] ids = tok.encodeWithBos(s);
            assertEquals(1, ids[0]);
            assertEquals(s, tok.decode(ids), () -> "round trip of " + s + " via " + Arrays.toString(ids));
            assertEquals(s, tok.decode(tok.encode(s)), "without BOS the dummy prefix is stripped too");
        }
        assertArrayEquals(new int[0], tok.encode(""));
    }

    @Test
    void encodeMergesLikeRunC() {
        // " t" (259) and "he" (260) are the two highest-scored merges; "the" needs them in order
        int[] ids = tok.encode("the");
        assertEquals(1, ids.length, Arrays.toString(ids));
        assertEquals(" the", tok.tokenString(ids[0]));
    }

    @Test
    void unknownCharactersFallBackToBytes() {
        // '☃' (E2 98 83) is not in this 512-piece vocabulary
        int[] ids = tok.encode("☃");
        int[] tail = Arrays.copyOfRange(ids, ids.length - 3, ids.length);
        assertArrayEquals(new int[] {0xE2 + 3, 0x98 + 3, 0x83 + 3}, tail);
        // streaming: the partial character is held back until its last byte arrives
        int[] withBos = tok.encodeWithBos("☃");
        assertEquals("", tok.decode(Arrays.copyOf(withBos, withBos.length - 1)));
        assertEquals("☃", tok.decode(withBos));
    }

    /**
     * The published greedy output of llama2.c's run.c: the file is the decoded text followed by
     * the single newline run.c prints after generating, so decode(ids) + "\n" must equal it.
     */
    @Test
    void decodesPublishedGreedyOutput() throws Exception {
        JsonNode idsNode = Json.MAPPER.readTree(dir.resolve("expected-greedy-200.ids.json").toFile());
        int[] ids = new int[idsNode.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = idsNode.get(i).asInt();
        }
        assertEquals(1, ids[0], "BOS first");
        String expected = Files.readString(dir.resolve("expected-greedy-200.txt"), StandardCharsets.UTF_8);
        assertTrue(expected.endsWith("\n"));
        assertEquals(expected, tok.decode(ids) + "\n");
    }
}
