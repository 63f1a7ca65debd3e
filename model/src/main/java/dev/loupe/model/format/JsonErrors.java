package dev.loupe.model.format;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * One way to say what was wrong with a JSON text. Jackson's limit errors (nesting past 1,000 levels, a number of more
 * than 1,000 digits) carry no location, so an error path that asks for one unconditionally fails itself.
 */
public final class JsonErrors {
    private JsonErrors() {}

    /** Jackson's message and, where it knows one, the line and column. */
    public static String describe(JsonProcessingException e) {
        String msg = e.getOriginalMessage() != null ? e.getOriginalMessage() : e.getClass().getSimpleName();
        JsonLocation at = e.getLocation();
        if (at == null || at.getLineNr() < 0) return msg;
        return msg + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
}
