package dev.loupe.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Byte-level BPE training: merges follow pair frequency, and the written tokenizer.json round-trips real text. */
class BpeTrainerTest {

    @Test
    void mergesTheMostFrequentPairFirstAndTiesDeterministically() {
        TrainedBpe bpe = BpeTrainer.train(List.of("aaa bb aaa bb aaa"), 260);
        // pre-tokens: "aaa" x3, "Ġbb" x2, "Ġaaa" x2; (a,a) occurs 2 per word x 5 words
        assertEquals("a a", bpe.merges().getFirst());
        assertEquals(260, bpe.tokens().size());
        assertEquals(BpeTrainer.END_OF_TEXT, bpe.tokens().getLast());
        assertEquals(bpe.merges(), BpeTrainer.train(List.of("aaa bb aaa bb aaa"), 260).merges());
    }

    @Test
    void stopsWhenNoPairRepeats() {
        TrainedBpe bpe = BpeTrainer.train(List.of("abc"), 1000);
        assertTrue(bpe.merges().isEmpty());
        assertEquals(257, bpe.tokens().size());
    }

    @Test
    void brownVocabularyRoundTripsHeldOutDocumentsThroughTokenizerJson(@TempDir Path dir) throws Exception {
        List<String> docs = new ArrayList<>();
        ObjectMapper json = Json.MAPPER;
        for (String line : Files.readAllLines(SharedModels.data("brown.jsonl"))) {
            if (!line.isBlank()) docs.add(json.readTree(line).get("text").asText());
        }
        TrainedBpe bpe = BpeTrainer.train(docs.subList(0, 100), 2048);
        assertEquals(2048, bpe.tokens().size());
        Path file = dir.resolve("tokenizer.json");
        bpe.write(file);
        Tokenizer tok = Tokenizers.load(file);
        assertEquals(2048, tok.vocabSize());
        assertEquals(2047, tok.eosId().orElseThrow());
        long chars = 0, tokens = 0;
        for (String doc : docs.subList(100, 500)) {
            int[] ids = tok.encode(doc);
            assertEquals(doc, tok.decode(ids));
            chars += doc.length();
            tokens += ids.length;
        }
        assertTrue(chars / (double) tokens > 3.0, "a 2048-token BPE should compress English to over 3 characters a token, got " + chars / (double) tokens);
        int[] withEot = tok.encode("end." + BpeTrainer.END_OF_TEXT + "Start");
        assertTrue(indexOf(withEot, 2047) > 0, "<|endoftext|> in the input is the special id");
        assertArrayEquals(tok.encode("x"), bpe.tokenizer().encode("x"));
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }
}
