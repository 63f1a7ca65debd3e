package dev.loupe.model.format;

import java.io.IOException;

/**
 * A checkpoint, index or config file is malformed or inconsistent. The message always names the
 * file and, where there is one, the tensor or field at fault.
 */
public class FormatException extends IOException {
    public FormatException(String message) {
        super(message);
    }

    public FormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
