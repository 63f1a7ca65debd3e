package dev.loupe.server.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The most entries a request may put in arrays of given field names ({@code positions}, {@code interventions}, ...),
 * checked by streaming over the body's tokens before any tree is built: a flood (100,000 readout positions, 2,000
 * intervention entries) is refused with 413 at its first entry past the limit, having allocated next to nothing,
 * instead of after a parse into millions of nodes. Bodies that are not well-formed JSON pass through, so the parser
 * reports them as before.
 */
public final class ArrayLimits {
    /** No limits. */
    public static final ArrayLimits NONE = new ArrayLimits(Map.of());

    private final Map<String, Integer> most;

    /** @param most field name to the most entries an array under that name may hold */
    public ArrayLimits(Map<String, Integer> most) {
        this.most = Map.copyOf(most);
    }

    /** An open object or array: its field name (arrays), the current field (objects) or the next index (arrays). */
    private static final class Frame {
        final boolean array;
        final int limit;
        String field;
        int entries;

        Frame(boolean array, String field, int limit) {
            this.array = array;
            this.field = field;
            this.limit = limit;
        }
    }

    /** Throws 413 naming the field when an array holds more entries than its limit. */
    void check(byte[] body) {
        if (most.isEmpty()) return;
        List<Frame> open = new ArrayList<>();
        try (JsonParser p = Body.JSON.getFactory().createParser(body)) {
            for (JsonToken t; (t = p.nextToken()) != null; ) {
                Frame top = open.isEmpty() ? null : open.getLast();
                if (t == JsonToken.FIELD_NAME) {
                    top.field = p.currentName();
                    continue;
                }
                if (t == JsonToken.END_ARRAY || t == JsonToken.END_OBJECT) {
                    open.removeLast();
                    continue;
                }
                if (top != null && top.array && ++top.entries > top.limit) {
                    throw ApiError.tooLarge(path(open) + ": more than " + top.limit + " entries; a request may give at most " + top.limit
                            + " '" + top.field + "'");
                }
                if (t == JsonToken.START_OBJECT) open.add(new Frame(false, null, Integer.MAX_VALUE));
                if (t == JsonToken.START_ARRAY) {
                    String field = top != null && !top.array ? top.field : null;
                    open.add(new Frame(true, field, field == null ? Integer.MAX_VALUE : most.getOrDefault(field, Integer.MAX_VALUE)));
                }
            }
        } catch (IOException malformed) {
            // the tree parser reports it, with the message it always gives
        }
    }

    /** The open array's place, as request errors name fields: {@code body.cache[0].positions}. */
    private static String path(List<Frame> open) {
        StringBuilder b = new StringBuilder("body");
        for (int i = 0; i < open.size() - 1; i++) {
            Frame f = open.get(i);
            if (f.array) b.append('[').append(f.entries - 1).append(']');
            else b.append('.').append(f.field);
        }
        return b.toString();
    }
}
