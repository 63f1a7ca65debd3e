package dev.loupe.model.tokenizer;

/**
 * The third stage of a Hugging Face pipeline: turns one pre-tokenized word into ids (BPE or
 * WordPiece).
 */
interface WordModel {
    void encodeWord(String word, IntList out);
}
