package dev.loupe.model.tokenizer;

/**
 * UTF-8 decoding with the streaming rule every {@link Tokenizer#decode} follows: a multi-byte
 * character cut off at the very end of the input is dropped (its remaining bytes will arrive
 * with later tokens), while bytes that can never be valid become U+FFFD, one per maximal
 * invalid subpart as the Unicode standard recommends. Hence decoding a longer id sequence only
 * ever appends to the text of a shorter one.
 */
final class Utf8 {
    private Utf8() {}

    static String decode(byte[] b, int len) {
        StringBuilder sb = new StringBuilder(len);
        int i = 0;
        while (i < len) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                sb.append((char) c);
                i++;
                continue;
            }
            int need;
            int cp;
            int lo = 0x80;
            int hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                need = 1;
                cp = c & 0x1F;
            } else if (c >= 0xE0 && c <= 0xEF) {
                need = 2;
                cp = c & 0x0F;
                if (c == 0xE0) lo = 0xA0;
                if (c == 0xED) hi = 0x9F;
            } else if (c >= 0xF0 && c <= 0xF4) {
                need = 3;
                cp = c & 0x07;
                if (c == 0xF0) lo = 0x90;
                if (c == 0xF4) hi = 0x8F;
            } else {
                sb.append('\uFFFD');
                i++;
                continue;
            }
            int j = i + 1;
            boolean ok = true;
            for (int k = 0; k < need; k++, j++) {
                if (j >= len) {
                    return sb.toString(); // incomplete trailing character: wait for more bytes
                }
                int cc = b[j] & 0xFF;
                if (cc < lo || cc > hi) {
                    ok = false;
                    break;
                }
                lo = 0x80;
                hi = 0xBF;
                cp = (cp << 6) | (cc & 0x3F);
            }
            if (!ok) {
                sb.append('\uFFFD');
                i = j; // resume at the byte that broke the sequence
                continue;
            }
            sb.appendCodePoint(cp);
            i = j;
        }
        return sb.toString();
    }

    static String decode(byte[] b) {
        return decode(b, b.length);
    }
}
