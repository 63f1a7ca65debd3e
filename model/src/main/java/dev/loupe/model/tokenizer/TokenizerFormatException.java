package dev.loupe.model.tokenizer;

import java.io.IOException;

/**
 * A tokenizer file exists but is not what its format requires (truncated, malformed JSON, an
 * unsupported component type). The message names the file and what was expected.
 */
public final class TokenizerFormatException extends IOException {
    public TokenizerFormatException(String message) {
        super(message);
    }

    public TokenizerFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
