package dev.loupe.model.tokenizer;

/**
 * Hugging Face's {@code BertNormalizer}: in order, drop control characters and turn every
 * whitespace into a plain space ({@code clean_text}), put spaces around CJK ideographs
 * ({@code handle_chinese_chars}), strip accents ({@code strip_accents}, which defaults to the
 * value of {@code lowercase}), and lowercase.
 */
record BertNormalizer(boolean cleanText, boolean handleChineseChars, boolean stripAccents,
                      boolean lowercase) implements Normalizer {

    @Override
    public String normalize(String text) {
        String s = text;
        if (cleanText || handleChineseChars) {
            StringBuilder sb = new StringBuilder(s.length() + 8);
            s.codePoints().forEach(cp -> {
                if (cleanText) {
                    if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                        return;
                    }
                    if (isWhitespace(cp)) {
                        sb.append(' ');
                        return;
                    }
                }
                if (handleChineseChars && isChinese(cp)) {
                    sb.append(' ').appendCodePoint(cp).append(' ');
                } else {
                    sb.appendCodePoint(cp);
                }
            });
            s = sb.toString();
        }
        if (stripAccents) {
            s = Normalizer.stripAccents(s);
        }
        if (lowercase) {
            s = s.toLowerCase(java.util.Locale.ROOT);
        }
        return s;
    }

    static boolean isWhitespace(int cp) {
        return cp == '\t' || cp == '\n' || cp == '\r' || isUnicodeWhitespace(cp);
    }

    /** Unicode White_Space, as Rust's {@code char::is_whitespace}. */
    static boolean isUnicodeWhitespace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    private static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.UNASSIGNED
                || t == Character.PRIVATE_USE || t == Character.SURROGATE;
    }

    private static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
