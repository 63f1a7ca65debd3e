package dev.loupe.model.tokenizer;

/**
 * An entry of {@code added_tokens} in a {@code tokenizer.json}: a string matched literally in the
 * input before any normalization or splitting. {@code lstrip}/{@code rstrip} also swallow the
 * whitespace to its left/right. Special ones produce no text when decoding.
 */
record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip) {}
