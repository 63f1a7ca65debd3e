package dev.loupe.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The BPE word cache is bounded in bytes and never holds long words, so distinct long words cannot pin the heap. */
class WordCacheBoundTest {
    @Test
    void longDistinctWordsLeaveTheCacheEmptyAndManyShortOnesStayUnderTheBound() throws Exception {
        Tokenizer tok = Tokenizers.load(Path.of(WordCacheBoundTest.class.getResource(HandMadeTokenizerJsonTest.BYTE_LEVEL).toURI()));
        BpeModel bpe = (BpeModel) ((HuggingFaceTokenizer) tok).wordModel();
        Random rnd = new Random(15);
        for (int i = 0; i < 49; i++) {
            StringBuilder w = new StringBuilder();
            for (int j = 0; j < 3_000; j++) w.append((char) ('a' + rnd.nextInt(26)));
            int[] ids = tok.encode(w.toString());
            assertArrayEquals(ids, tok.encode(w.toString()), "uncached words encode the same every time");
        }
        assertEquals(0, bpe.cachedBytes(), "words over the length bound are not cached");
        for (int i = 0; i < 120_000; i++) tok.encode(" w" + i + "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstu");
        assertTrue(bpe.cachedBytes() <= 16L << 20, "cache holds " + bpe.cachedBytes() + " bytes");
        assertTrue(bpe.cachedBytes() > 0);
    }
}
