package dev.loupe.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * WordPiece through a real {@code tokenizer.json}: all-MiniLM-L6-v2's (BERT uncased vocabulary),
 * read from the classpath of the langchain4j jar that bundles it. Hand-derived ids (checked
 * against that file's vocab) plus, where it loads, Hugging Face's Rust implementation as oracle.
 */
class BertWordPieceTest {
    static final String RESOURCE = "/all-minilm-l6-v2-tokenizer.json";
    static Tokenizer tok;
    static HfOracle oracle;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = BertWordPieceTest.class.getResourceAsStream(RESOURCE)) {
            assertNotNull(in, RESOURCE + " missing from the test classpath");
            tok = HuggingFaceTokenizer.fromJson(in, "classpath:" + RESOURCE);
        }
        try (InputStream in = BertWordPieceTest.class.getResourceAsStream(RESOURCE)) {
            oracle = HfOracle.tryOpen(in);
        }
    }

    @AfterAll
    static void close() {
        if (oracle != null) {
            oracle.close();
        }
    }

    @Test
    void vocabularyAndSpecialTokens() {
        assertEquals(30522, tok.vocabSize());
        assertEquals("[CLS]", tok.tokenString(101));
        assertEquals(101, tok.bosId().getAsInt());
        assertEquals(102, tok.eosId().getAsInt());
        assertTrue(tok.addsBos());
    }

    @Test
    void handDerivedIds() {
        assertArrayEquals(new int[] {101, 7592, 1010, 2088, 999, 102}, tok.encodeForModel("Hello, world!"));
        assertArrayEquals(new int[] {101, 7592, 1010, 2088, 999, 102}, tok.encodeWithBos("Hello, world!"));
        assertArrayEquals(new int[] {7592, 1010, 2088, 999}, tok.encode("Hello, world!"));
        // lowercase + strip accents
        assertArrayEquals(new int[] {7668, 15743}, tok.encode("Café  NAÏVE"));
        // punctuation is isolated
        assertArrayEquals(new int[] {2123, 1005, 1056}, tok.encode("Don't"));
        // greedy longest match with ## continuation
        assertArrayEquals(new int[] {19204, 3989}, tok.encode("tokenization"));
        // CJK characters are split apart; these two are not in the vocabulary
        assertArrayEquals(new int[] {100, 100}, tok.encode("你好"));
        // special token strings in the text are recognised
        assertArrayEquals(new int[] {1037, 102, 1038}, tok.encode("a [SEP] b"));
        // words longer than max_input_chars_per_word (100) are [UNK]
        assertArrayEquals(new int[] {100}, tok.encode("a".repeat(101)));
    }

    @Test
    void decodeJoinsPiecesAndSkipsSpecials() {
        assertEquals("hello, world!", tok.decode(tok.encodeForModel("Hello, world!")));
        assertEquals("tokenization is fun.", tok.decode(tok.encodeForModel("Tokenization is fun.")));
    }

    static final String[] SENTENCES = {
        "Hello, world!",
        "The quick brown fox jumps over the lazy dog.",
        "Interpretability: 1234 tokens, émigré café, ねこ 🐱!",
        "  leading spaces and\ttabs\nnewlines\r\n",
        "Don't you think it's unaffable?",
        "GPT-2's BPE vs. BERT's WordPiece (uncased) — résumé.",
        "中文字符和English混合",
        "Supercalifragilisticexpialidocious antidisestablishmentarianism",
        "e-mail: someone@example.com; URL: https://example.org/a?b=c&d=e",
        "[CLS] already [SEP] special [MASK] tokens",
        "Ünïcödé ÀÉÎÕÜ ß ﬁ ligature ①②③ x² Ω",
        "zero\u200bwidth\u00a0nbsp control\u0007bell",
        "a".repeat(120) + " short",
    };

    @Test
    void matchesHuggingFaceReference() {
        assumeTrue(oracle != null, "HF reference tokenizer (DJL native) unavailable on this platform");
        for (String s : SENTENCES) {
            assertArrayEquals(oracle.encode(s, false), tok.encode(s), () -> "encode " + s);
            assertArrayEquals(oracle.encode(s, true), tok.encodeForModel(s), () -> "encodeForModel " + s);
            int[] ids = tok.encodeForModel(s);
            assertEquals(oracle.decode(ids), tok.decode(ids), () -> "decode " + s);
        }
    }
}
