package dev.loupe.interp.intervene;

/** A spec that cannot be used; the message starts with the field at fault, e.g. {@code interventions[2].scale}. */
public final class SpecException extends IllegalArgumentException {
    public SpecException(String field, String problem) {
        super(field + ": " + problem);
    }
}
