package dev.loupe.model.tokenizer;

import java.util.OptionalInt;

/**
 * Converts between text and the integer token ids a language model consumes and produces.
 *
 * <p>Why an interface: Loupe loads models whose tokenizers come in several file formats
 * (Hugging Face {@code tokenizer.json}, GPT-2 {@code vocab.json + merges.txt}, llama2.c
 * {@code tokenizer.bin}); model, hook and generation code only needs this contract. Obtain an
 * instance with {@link Tokenizers#load(java.nio.file.Path)}.
 *
 * <p>Implementations are immutable and safe for concurrent use.
 */
public interface Tokenizer {

    /**
     * Encodes text to ids <em>without</em> adding BOS or any other template tokens. Where the
     * format defines added/special tokens (e.g. {@code "<|endoftext|>"} in a {@code
     * tokenizer.json}), such strings appearing literally in {@code text} become their special ids.
     */
    int[] encode(String text);

    /**
     * Decodes a whole id sequence to text, safe for streaming: a generator may decode the
     * sequence so far after every step and print only the new suffix.
     *
     * <ul>
     *   <li>Special tokens (BOS, EOS, [CLS], padding, ...) produce no text.
     *   <li>Byte tokens ({@code <0xXX>}, byte-level BPE) are reassembled into UTF-8.
     *   <li>An <em>incomplete</em> UTF-8 sequence at the very end (a multi-byte character whose
     *       remaining bytes will come with later tokens) is dropped rather than rendered, so the
     *       text of a prefix never changes once more tokens arrive. Bytes that can never form a
     *       valid character are rendered as U+FFFD.
     * </ul>
     */
    String decode(int[] ids);

    /** Number of ids this tokenizer can produce: one more than the largest id. */
    int vocabSize();

    /** The beginning-of-sequence id, if the format defines one. */
    OptionalInt bosId();

    /** The end-of-sequence id, if the format defines one. */
    OptionalInt eosId();

    /**
     * The raw vocabulary piece for {@code id} (e.g. {@code "Ġthe"}, {@code "▁the"}, {@code
     * "##ing"}, {@code "<0x0A>"}). Views people read show {@link #tokenText(int)} instead.
     *
     * @throws IndexOutOfBoundsException if {@code id} is not in {@code [0, vocabSize())}
     */
    String tokenString(int id);

    /**
     * The decoded text of one token as it reads mid-sequence ({@code " the"}, {@code "\n"}), for every view of
     * tokens; see {@link TokenText}. {@link TokenText#visible(String)} marks its whitespace for tables.
     */
    default String tokenText(int id) {
        return TokenText.of(this, id);
    }

    /**
     * Whether the model family expects BOS before the text: true for llama2.c and Llama-style
     * {@code tokenizer.json} templates, false for GPT-2.
     */
    boolean addsBos();

    /**
     * Encodes text the way the model expects to see it: BOS first when {@link #addsBos()} and a
     * BOS exists. Formats with a post-processing template (Hugging Face {@code
     * TemplateProcessing}) apply it instead, so BERT gets {@code [CLS] text [SEP]}.
     */
    default int[] encodeWithBos(String text) {
        int[] ids = encode(text);
        OptionalInt bos = bosId();
        if (!addsBos() || bos.isEmpty()) {
            return ids;
        }
        int[] out = new int[ids.length + 1];
        out[0] = bos.getAsInt();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /** Alias of {@link #encodeWithBos(String)}, named for formats whose template is not just BOS. */
    default int[] encodeForModel(String text) {
        return encodeWithBos(text);
    }
}
