package dev.loupe.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.SharedModels;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Missing and corrupt files fail with messages that name the file and what was expected. */
class TokenizerErrorsTest {
    @TempDir
    Path tmp;

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), () -> "message '" + message + "' lacks '" + p + "'");
        }
    }

    @Test
    void missingFile() {
        Path missing = tmp.resolve("nope/tokenizer.json");
        var e = assertThrows(NoSuchFileException.class, () -> Tokenizers.load(missing));
        assertContains(e.getMessage(), missing.toString(), "tokenizer.json");
    }

    @Test
    void folderWithoutTokenizer() {
        var e = assertThrows(NoSuchFileException.class, () -> Tokenizers.load(tmp));
        assertContains(e.getMessage(), tmp.toString(), "no tokenizer in folder", "vocab.json + merges.txt");
    }

    @Test
    void vocabWithoutMerges() throws Exception {
        Files.writeString(tmp.resolve("vocab.json"), "{\"a\": 0}");
        var e = assertThrows(NoSuchFileException.class, () -> Tokenizers.load(tmp));
        assertContains(e.getMessage(), "merges.txt");
    }

    @Test
    void truncatedLlama2cTokenizer() throws Exception {
        Path full = SharedModels.path("stories260K/tok512.bin");
        byte[] bytes = Files.readAllBytes(full);
        Path cut = tmp.resolve("tokenizer.bin");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 3));
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(cut));
        assertContains(e.getMessage(), cut.toString(), "truncated at token 511", "expected");

        Files.write(cut, Arrays.copyOf(bytes, 2));
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(cut));
        assertContains(e.getMessage(), cut.toString(), "max_token_length");

        // a token length beyond max_token_length means the file is not what it claims to be
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        buf.putInt(7).putFloat(0f).putInt(1000);
        Files.write(cut, buf.array());
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(cut));
        assertContains(e.getMessage(), cut.toString(), "token 0", "length 1000", "expected 0..7");
    }

    @Test
    void llama2cVocabSizeMismatch() throws Exception {
        Path full = SharedModels.path("stories260K/tok512.bin");
        var e = assertThrows(TokenizerFormatException.class, () -> Llama2cTokenizer.load(full, 32000));
        assertContains(e.getMessage(), full.toString(), "after 512 tokens", "expected vocab_size 32000");
    }

    @Test
    void unknownModelType() throws Exception {
        Path p = Path.of(getClass().getResource("unigram.tokenizer.json").toURI());
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(p));
        assertContains(e.getMessage(), p.toString(), "model.type", "'Unigram'", "BPE, WordPiece");
    }

    @Test
    void malformedJsonAndMissingFields() throws Exception {
        Path bad = tmp.resolve("tokenizer.json");
        Files.writeString(bad, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}");
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(tmp));
        assertContains(e.getMessage(), bad.toString(), "not valid JSON");

        Files.writeString(bad, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}");
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(bad));
        assertContains(e.getMessage(), bad.toString(), "model.merges", "missing");

        Files.writeString(bad, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}");
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(bad));
        assertContains(e.getMessage(), bad.toString(), "merge 0", "'b'", "not in the vocabulary");

        Files.writeString(bad, "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []},"
                + " \"normalizer\": {\"type\": \"Precompiled\"}}");
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(bad));
        assertContains(e.getMessage(), bad.toString(), "normalizer.type", "'Precompiled'");
    }

    @Test
    void unrecognisedFileName() throws Exception {
        Path odd = Files.writeString(tmp.resolve("tokenizer.model"), "x");
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(odd));
        assertContains(e.getMessage(), odd.toString(), "expected a tokenizer.json");
    }
}
