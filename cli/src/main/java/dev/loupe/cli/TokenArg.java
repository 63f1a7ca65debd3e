package dev.loupe.cli;

import dev.loupe.model.tokenizer.Tokenizer;
import dev.loupe.model.tokenizer.TokenText;
import java.util.ArrayList;
import java.util.List;

/** A single-token command-line value: text that encodes to exactly one token, or {@code id:N}. */
final class TokenArg {
    private TokenArg() {}

    static int parse(String command, String option, Tokenizer tok, String value) {
        if (value.startsWith("id:")) {
            try {
                int id = Integer.parseInt(value.substring(3));
                if (id < 0 || id >= tok.vocabSize()) throw new Args.UsageException(command + ": --" + option + " " + value + " is outside the vocabulary [0, " + tok.vocabSize() + ")");
                return id;
            } catch (NumberFormatException e) {
                throw new Args.UsageException(command + ": --" + option + " expects id:N with an integer N, got '" + value + "'");
            }
        }
        int[] ids = tok.encode(value);
        if (ids.length != 1) {
            List<String> pieces = new ArrayList<>();
            for (int id : ids) pieces.add("'" + TokenText.visible(tok.tokenText(id)) + "' (id:" + id + ")");
            throw new Args.UsageException(command + ": --" + option + " '" + value + "' is " + ids.length + " tokens, not one: " + String.join(" ", pieces)
                    + "; pick one, e.g. --" + option + " id:N (GPT-2 words usually need a leading space: ' Mary')");
        }
        return ids[0];
    }

    /** Printable pieces of each id, for table headings. */
    static List<String> pieces(Tokenizer tok, int[] ids, int max) {
        List<String> out = new ArrayList<>();
        for (int id : ids) out.add(TextGrid.piece(tok.tokenText(id), max));
        return out;
    }
}
