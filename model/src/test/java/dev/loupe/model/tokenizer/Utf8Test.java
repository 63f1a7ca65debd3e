package dev.loupe.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Streaming-safe UTF-8: incomplete tail dropped, invalid bytes become U+FFFD. */
class Utf8Test {
    static String d(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) bytes[i];
        return Utf8.decode(b);
    }

    @Test
    void validTextDecodesAsJava() {
        String s = "aé€🐱ねこ";
        assertEquals(s, Utf8.decode(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void incompleteTailIsDropped() {
        assertEquals("a", d('a', 0xF0, 0x9F, 0x90)); // 3 of the 4 bytes of 🐱
        assertEquals("a", d('a', 0xE2));
    }

    @Test
    void invalidBytesBecomeReplacement() {
        assertEquals("\uFFFDa", d(0xF0, 0x9F, 'a'));       // truncated sequence followed by ASCII
        assertEquals("\uFFFD\uFFFD", d(0x80, 0xFF));      // stray continuation, never-valid byte
        assertEquals("\uFFFD\uFFFD", d(0xC0, 0xAF));      // overlong
        assertEquals("\uFFFD\uFFFD\uFFFD", d(0xED, 0xA0, 0x80)); // surrogate
    }
}
