package dev.loupe.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.loupe.model.SharedModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Tokens read as decoded text in every tokenizer format, never as Ġ/Ċ/▁ vocabulary pieces. */
class TokenTextTest {
    @Test
    void byteLevelBpeReadsAsText() throws Exception {
        Tokenizer tok = Tokenizers.load(Path.of("models/loupe-brown-2l/tokenizer.json"));
        int[] ids = tok.encode("The cat\nsat");
        StringBuilder joined = new StringBuilder();
        for (int id : ids) {
            String t = tok.tokenText(id);
            assertFalse(t.contains("Ġ") || t.contains("Ċ"), t);
            joined.append(t);
        }
        assertEquals("The cat\nsat", joined.toString());
        assertEquals(" the", tok.tokenText(tok.encode(" the")[0]));
        assertEquals("<|endoftext|>", tok.tokenText(tok.eosId().getAsInt()));
        assertEquals("·the", TokenText.visible(tok.tokenText(tok.encode(" the")[0])));
    }

    @Test
    void partialUtf8ReadsAsBytes() throws Exception {
        Tokenizer tok = HandMadeTokenizerJsonTest.load(HandMadeTokenizerJsonTest.BYTE_LEVEL);
        // ids 0..20 hold no multi-byte pieces; a lone byte-level piece for 0xE2 would read <0xE2>
        assertEquals("hello", tok.tokenText(tok.encode("hello")[0]));
        assertEquals(" wor", tok.tokenText(tok.encode(" wor")[0]));
        assertEquals("\n", tok.tokenText(tok.encode("\n")[0]));
    }

    @Test
    void sentencePieceKeepsTheSpaceItStripsAtTheStart() throws Exception {
        Tokenizer tok = HandMadeTokenizerJsonTest.load(HandMadeTokenizerJsonTest.BYTE_FALLBACK);
        assertEquals(" there", tok.tokenText(271));
        assertEquals("\n", tok.tokenText(13)); // <0x0A>
        assertEquals("<0xC3>", tok.tokenText(0xC3 + 3)); // the lead byte of é alone
        assertEquals("<s>", tok.tokenText(1));
        assertEquals("↵", TokenText.visible(tok.tokenText(13)));
    }

    @Test
    void llama2cPieces() throws Exception {
        Tokenizer tok = Tokenizers.load(SharedModels.path("stories260K/tok512.bin"));
        int[] ids = tok.encode("Once upon a time");
        StringBuilder joined = new StringBuilder();
        for (int id : ids) joined.append(tok.tokenText(id));
        assertEquals(" Once upon a time", joined.toString()); // the dummy prefix reads as the space it is
        assertEquals("<s>", tok.tokenText(1)); // stored as "\n<s>\n"
    }

    @Test
    void visibleMarksWhitespace() {
        assertEquals("·the↵⇥<0x07>", TokenText.visible(" the\n\t\u0007"));
    }
}
