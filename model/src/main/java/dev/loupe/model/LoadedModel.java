package dev.loupe.model;

import dev.loupe.model.tokenizer.Tokenizer;
import java.nio.file.Path;

/**
 * A hooked transformer with the tokenizer that goes with it (null when none was found) and where it came from.
 */
public record LoadedModel(HookedTransformer transformer, Tokenizer tokenizer, Path source) {
    /** The tokenizer, or a clear error saying how to supply one. */
    public Tokenizer requireTokenizer() {
        if (tokenizer == null) {
            throw new IllegalArgumentException("no tokenizer found for " + source
                    + " (looked for tokenizer.json, vocab.json + merges.txt, tokenizer.bin or tok*.bin); pass --tokenizer FILE");
        }
        return tokenizer;
    }

    /** Text to model input ids: BOS (or the format's template) first when the tokenizer's model expects it. */
    public int[] tokens(String text) {
        Tokenizer t = requireTokenizer();
        int[] ids = t.encodeWithBos(text);
        if (ids.length == 0) {
            var bos = t.bosId();
            if (bos.isEmpty()) throw new IllegalArgumentException("empty prompt and the tokenizer has no BOS token to start from");
            ids = new int[] {bos.getAsInt()};
        }
        return ids;
    }
}
