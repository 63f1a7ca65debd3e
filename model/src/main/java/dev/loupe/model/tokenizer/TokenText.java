package dev.loupe.model.tokenizer;

import java.io.ByteArrayOutputStream;

/**
 * How a single token reads: the text it adds when decoded in the middle of a sequence ({@code " the"}, {@code "\n"},
 * never the vocabulary's {@code Ġthe}, {@code Ċ} or {@code ▁the}), and a visible form of that text for tables and
 * terminals, where a space or a newline would otherwise be invisible.
 *
 * <p>The text is found by decoding the token after an anchor token and removing the anchor's text, so every
 * tokenizer format's own decoder (byte-level, SentencePiece with its dummy-prefix stripping, WordPiece {@code ##})
 * applies unchanged. Special tokens ({@code <|endoftext|>}, {@code <s>}), which decode to nothing, read as their
 * vocabulary piece without surrounding whitespace; a token holding part of a multi-byte UTF-8 character reads as its bytes, {@code <0xE2><0x80>}.
 */
public final class TokenText {
    /** Shown for a space: a middle dot (the web UI draws it faintly). */
    public static final char SPACE = '\u00B7';
    /** Shown for a newline. */
    public static final char NEWLINE = '\u21B5';
    /** Shown for a tab. */
    public static final char TAB = '\u21E5';

    private static final String[] ANCHORS = {"a", "e", "the", ".", "1", "0"};

    private TokenText() {}

    /** The decoded text of token {@code id} as it reads mid-sequence. */
    public static String of(Tokenizer tok, int id) {
        String raw = tok.tokenString(id);
        int[] a = anchor(tok);
        if (a.length == 0) return raw;
        String before = tok.decode(a);
        String with = tok.decode(concat(a, new int[] {id}));
        if (with.length() > before.length() && with.startsWith(before)) return with.substring(before.length());
        // Nothing decoded: a special token (no text even between anchors), or an incomplete UTF-8 character.
        if (tok.decode(concat(a, new int[] {id}, a)).equals(tok.decode(concat(a, a)))) return raw.strip();
        return bytes(raw);
    }

    /** A short text's ids that decode to non-empty text, to decode a token after. */
    private static int[] anchor(Tokenizer tok) {
        for (String s : ANCHORS) {
            int[] ids = tok.encode(s);
            if (ids.length > 0 && !tok.decode(ids).isEmpty()) return ids;
        }
        return new int[0];
    }

    private static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** The text with whitespace made visible: {@value #SPACE} for a space, {@value #NEWLINE} for a newline, {@value #TAB} for a tab, {@code <0xXX>} for other control characters. */
    public static String visible(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case ' ' -> sb.append(SPACE);
                case '\n' -> sb.append(NEWLINE);
                case '\t' -> sb.append(TAB);
                default -> {
                    if (c < 0x20 || c == 0x7F) sb.append(String.format("<0x%02X>", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.toString();
    }

    /** A byte-level piece ({@code âĢ}) as the bytes it stands for; other pieces (already {@code <0xXX>}) unchanged. */
    private static String bytes(String raw) {
        if (Llama2cTokenizer.byteToken(raw) >= 0) return raw;
        if (raw.chars().anyMatch(c -> ByteLevelAlphabet.byteOf((char) c) < 0)) return raw.strip(); // a special token, e.g. llama2.c's "\n<s>\n"
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteLevelAlphabet.decodeInto(raw, out);
        StringBuilder sb = new StringBuilder();
        for (byte b : out.toByteArray()) sb.append(String.format("<0x%02X>", b & 0xFF));
        return sb.toString();
    }
}
