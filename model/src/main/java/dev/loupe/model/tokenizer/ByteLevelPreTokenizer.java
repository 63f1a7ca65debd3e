package dev.loupe.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Hugging Face's {@code ByteLevel} pre-tokenizer (GPT-2, Llama 3, Qwen, SmolLM): optionally
 * prepends a space, optionally splits with the GPT-2 regex, then rewrites each piece's UTF-8
 * bytes into the {@link ByteLevelAlphabet} so the BPE model sees one symbol per byte.
 */
record ByteLevelPreTokenizer(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {

    /** GPT-2's pre-tokenization regex. */
    static final Pattern GPT2 = SplitPreTokenizer.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    private static final SplitPreTokenizer SPLIT =
            new SplitPreTokenizer(GPT2, SplitPreTokenizer.Behavior.ISOLATED, false);

    @Override
    public List<String> split(List<String> pieces, boolean atTextStart) {
        List<String> out = new ArrayList<>(pieces.size() * 4);
        List<String> words = new ArrayList<>();
        for (String piece : pieces) {
            String p = addPrefixSpace && !piece.startsWith(" ") ? " " + piece : piece;
            words.clear();
            if (useRegex) {
                SPLIT.splitOne(p, words);
            } else {
                words.add(p);
            }
            for (String w : words) {
                out.add(ByteLevelAlphabet.encode(w));
            }
        }
        return out;
    }
}
