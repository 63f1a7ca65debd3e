package dev.loupe.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The last stage of a Hugging Face pipeline, run when decoding: turns the token strings of an id
 * sequence back into text (ByteLevel, Metaspace, WordPiece, ByteFallback, Fuse, Strip, Replace,
 * Sequence).
 *
 * <p>Unlike HF, pieces travel as <em>byte strings</em> (a String whose chars are the bytes 0-255
 * of UTF-8 text) and are decoded to text only once at the end by {@link Utf8}. This keeps a
 * character split across byte tokens intact whatever decoder produced its bytes, which is what
 * makes streaming decode stable.
 */
@FunctionalInterface
interface Decoder {
    List<String> decode(List<String> pieces);

    /** HF's behaviour without a decoder: tokens joined by spaces. */
    Decoder JOIN_WITH_SPACES = pieces -> List.of(String.join(" ", pieces));

    /** Text to byte-string form. */
    static String bytes(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /** Byte-string form back to text (streaming-safe, see {@link Utf8}). */
    static String text(String byteString) {
        return Utf8.decode(byteString.getBytes(StandardCharsets.ISO_8859_1));
    }

    static Decoder sequence(List<Decoder> decoders) {
        return pieces -> {
            List<String> p = pieces;
            for (Decoder d : decoders) {
                p = d.decode(p);
            }
            return p;
        };
    }

    /** Byte-level characters back to the bytes they stand for. */
    static Decoder byteLevel() {
        return pieces -> {
            var out = new java.io.ByteArrayOutputStream();
            for (String p : pieces) {
                ByteLevelAlphabet.decodeInto(new String(p.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8), out);
            }
            return List.of(new String(out.toByteArray(), StandardCharsets.ISO_8859_1));
        };
    }

    /** {@code <0xXX>} tokens become the byte they name. */
    static Decoder byteFallback() {
        return pieces -> {
            List<String> out = new ArrayList<>(pieces.size());
            for (String p : pieces) {
                int b = Llama2cTokenizer.byteToken(p);
                out.add(b >= 0 ? String.valueOf((char) b) : p);
            }
            return out;
        };
    }

    static Decoder fuse() {
        return pieces -> List.of(String.join("", pieces));
    }

    static Decoder replace(String pattern, String content) {
        String from = bytes(pattern);
        String to = bytes(content);
        return pieces -> pieces.stream().map(p -> p.replace(from, to)).toList();
    }

    /** Removes up to {@code start} leading and {@code stop} trailing {@code content} from each piece. */
    static Decoder strip(String content, int start, int stop) {
        String c = bytes(content);
        return pieces -> pieces.stream().map(p -> {
            int from = 0;
            int to = p.length();
            for (int i = 0; i < start && p.startsWith(c, from); i++) {
                from += c.length();
            }
            for (int i = 0; i < stop && to - c.length() >= from && p.startsWith(c, to - c.length()); i++) {
                to -= c.length();
            }
            return p.substring(from, to);
        }).toList();
    }

    /** {@code ▁} back to spaces; on the first piece it is dropped when a prefix was prepended. */
    static Decoder metaspace(String replacement, boolean prependsPrefix) {
        String r = bytes(replacement);
        return pieces -> {
            List<String> out = new ArrayList<>(pieces.size());
            for (int i = 0; i < pieces.size(); i++) {
                out.add(pieces.get(i).replace(r, i == 0 && prependsPrefix ? "" : " "));
            }
            return out;
        };
    }

    /** Joins WordPiece pieces: {@code ##}-pieces attach, others get a space; optional cleanup. */
    static Decoder wordPiece(String prefix, boolean cleanup) {
        String pre = bytes(prefix);
        return pieces -> {
            List<String> out = new ArrayList<>(pieces.size());
            for (int i = 0; i < pieces.size(); i++) {
                String p = pieces.get(i);
                if (i != 0) {
                    p = p.startsWith(pre) ? p.substring(pre.length()) : " " + p;
                }
                out.add(cleanup ? cleanup(p) : p);
            }
            return out;
        };
    }

    /** HF's {@code cleanup}: reattach punctuation and English contractions. */
    static String cleanup(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m")
                .replace(" do not", " don't").replace(" 's", "'s").replace(" 've", "'ve")
                .replace(" 're", "'re");
    }
}
