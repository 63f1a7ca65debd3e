package dev.loupe.model.tokenizer;

import java.util.Map;

/**
 * Hugging Face's {@code WordPiece} model (BERT): greedy longest-match-first over each word, with
 * non-initial pieces looked up under the continuing-subword prefix ({@code ##}). A word longer
 * than {@code max_input_chars_per_word} code points, or one that cannot be covered, becomes the
 * single unknown token.
 */
record WordPieceModel(Map<String, Integer> vocab, int unkId, String prefix, int maxInputCharsPerWord)
        implements WordModel {

    @Override
    public void encodeWord(String word, IntList out) {
        if (word.codePointCount(0, word.length()) > maxInputCharsPerWord) {
            out.add(unkId);
            return;
        }
        IntList pieces = new IntList(4);
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            int found = -1;
            while (end > start) {
                String sub = word.substring(start, end);
                if (start > 0) {
                    sub = prefix.concat(sub);
                }
                Integer id = vocab.get(sub);
                if (id != null) {
                    found = id;
                    break;
                }
                end = word.offsetByCodePoints(end, -1);
            }
            if (found < 0) {
                out.add(unkId);
                return;
            }
            pieces.add(found);
            start = end;
        }
        out.addAll(pieces.toArray());
    }
}
