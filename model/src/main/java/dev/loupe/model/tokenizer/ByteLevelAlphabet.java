package dev.loupe.model.tokenizer;

/**
 * GPT-2's reversible map between the 256 byte values and 256 printable Unicode characters, used
 * by byte-level BPE so that every byte sequence has a string form in the vocabulary (space
 * becomes {@code Ġ}, newline {@code Ċ}). Printable Latin-1 bytes map to themselves; the others
 * take code points from U+0100 upwards in byte order.
 */
final class ByteLevelAlphabet {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[0x180];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            char c = printable ? (char) b : (char) (256 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevelAlphabet() {}

    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte for a byte-level character, or -1 if {@code c} is not one. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** Maps the UTF-8 bytes of {@code s} to their byte-level characters. */
    static String encode(String s) {
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /** Appends the bytes behind a byte-level string; other characters pass as their UTF-8. */
    static void decodeInto(String s, java.io.ByteArrayOutputStream out) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int b = byteOf(c);
            if (b >= 0) {
                out.write(b);
            } else {
                int cp = s.codePointAt(i);
                byte[] raw = new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.write(raw, 0, raw.length);
                i += Character.charCount(cp) - 1;
            }
        }
    }
}
