package dev.loupe.activations;

/** A store whose files do not match its manifest or the format (a corrupt shard, a manifest that lies). */
public final class CorruptStoreException extends RuntimeException {
    public CorruptStoreException(String message) {
        super(message);
    }
}
