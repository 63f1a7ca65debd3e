package dev.loupe.model.source;

import java.io.IOException;

/** A model given by the user could not be found locally, in the cache, or on the Hub; the message says where it looked. */
public class ModelSourceException extends IOException {
    public ModelSourceException(String message) {
        super(message);
    }

    public ModelSourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
