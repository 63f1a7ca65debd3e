package dev.loupe.activations;

import dev.loupe.model.tokenizer.Tokenizer;
import java.io.IOException;

/**
 * Packs a dataset's documents into fixed-length contexts. Each document is tokenized as its model expects
 * ({@link Tokenizer#encodeWithBos}: BOS first for Llama-style tokenizers); when the tokenizer adds no BOS
 * but has an end-of-text token (GPT-2's {@code <|endoftext|>}), that token is appended to close each
 * document. The documents' tokens are concatenated into one stream that is cut into contexts of
 * {@code context} tokens: a document may continue into the next context, and the final partial context
 * is dropped. Deterministic, and restartable from a {@link StoreManifest.Cursor}.
 */
public final class Packer {
    /** How packing works, as recorded in manifests. */
    public static final String DESCRIPTION = "documents tokenized with BOS when the model expects it (else closed by EOS when the "
            + "tokenizer has one), concatenated, cut into fixed contexts; documents continue across contexts; final partial context dropped";

    private final DocumentSource docs;
    private final Tokenizer tokenizer;
    private final int context;
    private int[] current = new int[0];
    private long currentDoc = -1;
    private int offset;

    /** A packer whose first context starts at {@code start} (document index, token offset). */
    public Packer(DocumentSource docs, Tokenizer tokenizer, int context, StoreManifest.Cursor start) throws IOException {
        this.docs = docs;
        this.tokenizer = tokenizer;
        this.context = context;
        if (start == null) return;
        docs.skipTo(start.doc());
        if (start.offset() > 0) {
            if (!advance()) throw new IllegalStateException("dataset ended before resume point " + start + "; has it changed?");
            if (currentDoc != start.doc() || start.offset() > current.length) {
                throw new IllegalStateException("resume point " + start + " does not match the dataset; has it changed?");
            }
            offset = start.offset();
        }
    }

    /** Tokens of one document as they enter the stream. */
    public static int[] documentTokens(Tokenizer tokenizer, String text) {
        if (text.isEmpty()) return new int[0];
        int[] ids = tokenizer.encodeWithBos(text);
        if (ids.length == 0 || tokenizer.addsBos() || tokenizer.eosId().isEmpty()) return ids;
        int[] out = java.util.Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = tokenizer.eosId().getAsInt();
        return out;
    }

    /** Where the next context starts. */
    public StoreManifest.Cursor cursor() {
        return offset < current.length || currentDoc < 0 ? new StoreManifest.Cursor(Math.max(currentDoc, 0), offset)
                : new StoreManifest.Cursor(currentDoc + 1, 0);
    }

    /**
     * Fills one context: {@code tokens}, {@code doc} and {@code pos} (token offset within its document) at
     * {@code [at, at + context)}. Returns false when the dataset has fewer than {@code context} tokens left
     * (the end: those tokens are dropped).
     */
    public boolean next(int[] tokens, int[] doc, int[] pos, int at) throws IOException {
        int filled = 0;
        while (filled < context) {
            if (offset == current.length && !advance()) return false;
            int n = Math.min(context - filled, current.length - offset);
            System.arraycopy(current, offset, tokens, at + filled, n);
            for (int i = 0; i < n; i++) {
                doc[at + filled + i] = Math.toIntExact(currentDoc);
                pos[at + filled + i] = offset + i;
            }
            offset += n;
            filled += n;
        }
        return true;
    }

    /** Dataset bytes consumed so far. */
    public long bytesDone() {
        return docs.bytesDone();
    }

    private boolean advance() throws IOException {
        while (true) {
            DocumentSource.Document d = docs.next();
            if (d == null) return false;
            int[] ids = documentTokens(tokenizer, d.text());
            if (ids.length == 0) continue;
            current = ids;
            currentDoc = d.index();
            offset = 0;
            return true;
        }
    }
}
