package dev.loupe.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Small hand-written {@code tokenizer.json} files whose ids can be worked out by hand (see the
 * comments), covering the Llama 3 style byte-level pipeline and the Llama 2/TinyLlama style
 * SentencePiece BPE with byte fallback; cross-checked against Hugging Face's implementation
 * when it loads.
 */
class HandMadeTokenizerJsonTest {

    static Tokenizer load(String name) throws Exception {
        Path p = Path.of(HandMadeTokenizerJsonTest.class.getResource(name).toURI());
        return Tokenizers.load(p);
    }

    static HfOracle oracle(String name) {
        InputStream in = HandMadeTokenizerJsonTest.class.getResourceAsStream(name);
        return HfOracle.tryOpen(in);
    }

    /*
     * byte-level-split: vocab ! d e h l o r w Ġ he ll hell hello Ġw or Ġwor 1 2 3 12 Ċ (ids 0-20),
     * "ld" 21 (reachable only as a whole word), added specials <|bos|> 22, <|eot|> 23 (HF
     * numbers added tokens after the model vocabulary, so the file must too).
     * Merges by rank: h+e, l+l, he+ll, hell+o, Ġ+w, o+r, Ġw+or, 1+2. ignore_merges is on.
     */
    static final String BYTE_LEVEL = "byte-level-split.tokenizer.json";

    @Test
    void byteLevelSplitWithAddedTokens() throws Exception {
        Tokenizer tok = load(BYTE_LEVEL);
        // Split → "hello" " world" "!" "123" | <|eot|> | "hello"
        // hello → [12]; Ġworld → Ġwor l d = [15, 4, 1]; ! → [0]; \p{N}{1,3} keeps "123": 12 3 = [19, 18]
        String text = "hello world!123<|eot|>hello";
        int[] expected = {12, 15, 4, 1, 0, 19, 18, 23, 12};
        assertArrayEquals(expected, tok.encode(text));
        assertArrayEquals(new int[] {22, 12, 15, 4, 1, 0, 19, 18, 23, 12}, tok.encodeWithBos(text));
        assertEquals("hello world!123hello", tok.decode(tok.encodeWithBos(text)));
        // ignore_merges: a word found whole in the vocabulary is one token
        assertArrayEquals(new int[] {21}, tok.encode("ld"));
        // \p{N}{1,3} splits long numbers into triples; newline is its own piece
        assertArrayEquals(new int[] {19, 18, 16, 20}, tok.encode("1231\n"));
        assertEquals(22, tok.bosId().getAsInt());
        assertTrue(tok.addsBos());
        assertEquals(24, tok.vocabSize());
        try (HfOracle hf = oracle(BYTE_LEVEL)) {
            assumeTrue(hf != null, "HF reference unavailable");
            for (String s : new String[] {text, "ld", "1231\n", "hello<|bos|> world", "world  hello!!\n\nhe"}) {
                assertArrayEquals(hf.encode(s, false), tok.encode(s), s);
                assertArrayEquals(hf.encode(s, true), tok.encodeWithBos(s), s);
                assertEquals(hf.decode(tok.encode(s)), tok.decode(tok.encode(s)), s);
            }
        }
    }

    /*
     * byte-fallback: <unk> <s> </s> = 0 1 2, <0x00>..<0xFF> = 3..258, then ▁ h i t e r (259-264),
     * ▁h 265, ▁hi 266, ▁t 267, he 268, ▁the 269, re 270, ▁there 271.
     * Merges by rank: ▁+h, ▁h+i, ▁+t, h+e, ▁t+he, r+e, ▁the+re.
     * Normalizer: Prepend ▁, spaces → ▁; no pre-tokenizer; decoder Replace/ByteFallback/Fuse/Strip.
     */
    static final String BYTE_FALLBACK = "byte-fallback.tokenizer.json";

    @Test
    void sentencePieceStyleByteFallback() throws Exception {
        Tokenizer tok = load(BYTE_FALLBACK);
        // "▁hi▁there▁é": ▁hi, ▁there, ▁, then é (not in vocab) as bytes C3 A9 → 3+0xC3, 3+0xA9
        int[] expected = {266, 271, 259, 0xC3 + 3, 0xA9 + 3};
        assertArrayEquals(expected, tok.encode("hi there é"));
        assertArrayEquals(new int[] {1, 266, 271, 259, 0xC3 + 3, 0xA9 + 3}, tok.encodeWithBos("hi there é"));
        assertEquals("hi there é", tok.decode(tok.encodeWithBos("hi there é")));
        // streaming: the lone lead byte of é is held back, not rendered as U+FFFD
        assertEquals("hi there ", tok.decode(new int[] {1, 266, 271, 259, 0xC3 + 3}));
        // special token text is split out first; each stretch gets its own ▁ prefix
        assertArrayEquals(new int[] {266, 2, 266}, tok.encode("hi</s>hi"));
        assertEquals("<0x0A>", tok.tokenString(13));
        assertEquals(1, tok.bosId().getAsInt());
        assertEquals(2, tok.eosId().getAsInt());
        try (HfOracle hf = oracle(BYTE_FALLBACK)) {
            assumeTrue(hf != null, "HF reference unavailable");
            for (String s : new String[] {"hi there é", "hi</s>hi", "there  hi\n", "thethe rere ☃"}) {
                assertArrayEquals(hf.encode(s, false), tok.encode(s), s);
                assertArrayEquals(hf.encode(s, true), tok.encodeWithBos(s), s);
                assertEquals(hf.decode(tok.encode(s)), tok.decode(tok.encode(s)), s);
            }
        }
    }
}
