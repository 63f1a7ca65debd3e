package dev.loupe.model.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Map;

/**
 * Hugging Face's own Rust tokenizers (through DJL's Java binding, natives bundled in its jar) as
 * the reference for {@code tokenizer.json} behaviour; used without truncation or padding.
 */
final class HfOracle implements AutoCloseable {
    private final HuggingFaceTokenizer tok;

    private HfOracle(HuggingFaceTokenizer tok) {
        this.tok = tok;
    }

    /** The oracle, or null (with the reason printed) if the native library cannot load here. */
    static HfOracle tryOpen(InputStream json) {
        try {
            return new HfOracle(HuggingFaceTokenizer.newInstance(json,
                    Map.of("padding", "false", "truncation", "false")));
        } catch (Throwable e) {
            System.out.println("HF reference tokenizer unavailable, relying on hand-derived ids only: " + e);
            return null;
        }
    }

    int[] encode(String text, boolean addSpecialTokens) {
        return Arrays.stream(tok.encode(text, addSpecialTokens, false).getIds()).mapToInt(l -> (int) l).toArray();
    }

    String decode(int[] ids) {
        return tok.decode(Arrays.stream(ids).asLongStream().toArray(), true);
    }

    @Override
    public void close() {
        tok.close();
    }
}
