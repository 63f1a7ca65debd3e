package dev.loupe.model.tokenizer;

import java.util.List;

/**
 * The second stage of a Hugging Face pipeline: splits normalized text into words that the model
 * (BPE, WordPiece) encodes independently, and may rewrite them (ByteLevel maps bytes to its
 * printable alphabet, Metaspace turns spaces into {@code ▁}). Stages compose as in HF: each one
 * further splits every piece the previous stage produced.
 */
@FunctionalInterface
interface PreTokenizer {
    PreTokenizer NONE = (pieces, atTextStart) -> pieces;

    /**
     * @param pieces      the current split of one stretch of text
     * @param atTextStart whether the stretch starts the whole input (for Metaspace's "first")
     */
    List<String> split(List<String> pieces, boolean atTextStart);
}
