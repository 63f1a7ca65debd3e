package dev.loupe.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Hugging Face's {@code Metaspace} pre-tokenizer (SentencePiece style): spaces become the
 * replacement character (normally {@code ▁}), a replacement is prepended per
 * {@code prepend_scheme} ("always", "first" = only at the start of the input, "never"), and with
 * {@code split} the text is cut before each replacement character.
 */
record MetaspacePreTokenizer(char replacement, String prependScheme, boolean split) implements PreTokenizer {

    @Override
    public List<String> split(List<String> pieces, boolean atTextStart) {
        SplitPreTokenizer splitter = new SplitPreTokenizer(Pattern.compile(Pattern.quote(String.valueOf(replacement))),
                SplitPreTokenizer.Behavior.MERGED_WITH_NEXT, false);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < pieces.size(); i++) {
            String p = pieces.get(i).replace(' ', replacement);
            boolean prepend = switch (prependScheme) {
                case "always" -> true;
                case "first" -> atTextStart && i == 0;
                default -> false;
            };
            if (prepend && !p.isEmpty() && p.charAt(0) != replacement) {
                p = replacement + p;
            }
            if (split) {
                splitter.splitOne(p, out);
            } else {
                out.add(p);
            }
        }
        return out;
    }
}
