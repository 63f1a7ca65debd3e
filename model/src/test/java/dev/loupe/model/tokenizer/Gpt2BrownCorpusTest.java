package dev.loupe.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Byte-level BPE on a real corpus: every document of the Brown corpus must give exactly the ids
 * of jtokkit's r50k_base (GPT-2's encoding, an independent implementation) and decode back to
 * the same text.
 */
class Gpt2BrownCorpusTest {

    @Test
    void everyBrownDocumentMatchesJtokkitAndRoundTrips() throws Exception {
        Path corpus = SharedModels.data("brown.jsonl");
        Tokenizer tok = Tokenizers.load(SharedModels.path("gpt2-tiny-random"));
        Encoding r50k = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        ObjectMapper json = Json.MAPPER;
        List<String> docs = new ArrayList<>();
        for (String line : Files.readAllLines(corpus)) {
            if (!line.isBlank()) {
                docs.add(json.readTree(line).get("text").asText());
            }
        }
        assertEquals(500, docs.size());
        long start = System.nanoTime();
        long tokens = 0;
        for (int d = 0; d < docs.size(); d++) {
            String text = docs.get(d);
            int[] ours = tok.encode(text);
            int[] expected = r50k.encodeOrdinary(text).toArray();
            int doc = d;
            assertArrayEquals(expected, ours, () -> "document " + doc + " differs from jtokkit r50k_base");
            assertEquals(text, tok.decode(ours), () -> "document " + doc + " does not round-trip");
            tokens += ours.length;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("brown.jsonl: %d docs, %d tokens, encode+oracle+decode in %.2f s%n", docs.size(), tokens, seconds);
        assertTrue(tokens > 1_000_000);
    }
}
