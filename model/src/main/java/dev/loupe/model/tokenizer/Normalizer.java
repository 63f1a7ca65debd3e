package dev.loupe.model.tokenizer;

/**
 * The first stage of a Hugging Face {@code tokenizer.json} pipeline: rewrites a stretch of text
 * (between added tokens) before it is split, e.g. lowercasing or SentencePiece's space to
 * {@code ▁}. Built from JSON by {@link HfComponents#normalizer}.
 */
@FunctionalInterface
interface Normalizer {
    Normalizer IDENTITY = s -> s;

    String normalize(String text);

    /** Removes combining marks (category Mn) after canonical decomposition, as HF's StripAccents. */
    static String stripAccents(String s) {
        String nfd = java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFD);
        StringBuilder sb = new StringBuilder(nfd.length());
        nfd.codePoints().filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK)
                .forEach(sb::appendCodePoint);
        return sb.toString();
    }
}
