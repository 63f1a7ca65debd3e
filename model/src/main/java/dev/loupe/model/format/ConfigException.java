package dev.loupe.model.format;

/**
 * A model config lacks a field an architecture needs, or holds it with the wrong type. Unchecked
 * because it is raised from plain accessors; the message names the file, the field and the
 * architecture that needed it.
 */
public class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(message);
    }
}
