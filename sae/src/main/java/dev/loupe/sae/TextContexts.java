package dev.loupe.sae;

import dev.loupe.model.format.JsonLines;
import dev.loupe.model.tokenizer.Tokenizer;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Text documents packed into fixed-length token contexts: each context is BOS (when the tokenizer has one)
 * followed by the next tokens of the documents read end to end, wrapping around to the first document
 * after the last. The position (document, token offset) can be saved and restored.
 */
public final class TextContexts {
    private final List<String> docs;
    private final Tokenizer tokenizer;
    private final int contextSize;
    private int doc;
    private int offset;
    private int[] docTokens;

    public TextContexts(List<String> docs, Tokenizer tokenizer, int contextSize) {
        if (docs.isEmpty()) throw new IllegalArgumentException("no text documents to read");
        if (contextSize < 2) throw new IllegalArgumentException("context size must be at least 2, got " + contextSize);
        this.docs = docs;
        this.tokenizer = tokenizer;
        this.contextSize = contextSize;
    }

    /** The {@code field} string of every line of a JSON-lines file (e.g. brown.jsonl's "text"), or plain-text lines for other files. */
    public static List<String> read(Path file, String field) throws IOException {
        return JsonLines.documents(file, field, Integer.MAX_VALUE);
    }

    public int contextSize() {
        return contextSize;
    }

    /** Whether contexts start with a BOS token. */
    public boolean hasBos() {
        return tokenizer.bosId().isPresent();
    }

    /** The next {@code batch} contexts [batch][contextSize]. */
    public int[][] next(int batch) {
        int[][] out = new int[batch][contextSize];
        for (int b = 0; b < batch; b++) {
            int p = 0;
            if (hasBos()) out[b][p++] = tokenizer.bosId().getAsInt();
            while (p < contextSize) {
                if (docTokens == null) docTokens = tokenizer.encode(docs.get(doc));
                int take = Math.min(contextSize - p, docTokens.length - offset);
                System.arraycopy(docTokens, offset, out[b], p, take);
                p += take;
                offset += take;
                if (offset >= docTokens.length) {
                    doc = (doc + 1) % docs.size();
                    offset = 0;
                    docTokens = null;
                }
            }
        }
        return out;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    void save(DataOutputStream out) throws IOException {
        out.writeInt(doc);
        out.writeInt(offset);
    }

    void restore(DataInputStream in) throws IOException {
        doc = in.readInt();
        offset = in.readInt();
        docTokens = null;
    }
}
