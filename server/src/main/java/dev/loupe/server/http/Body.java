package dev.loupe.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.JsonErrors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One JSON object of a request, read field by field with errors that name the field ({@code body.cache[2].heads})
 * and what was expected. Unknown fields are errors, so a misspelt option never silently does nothing.
 */
public final class Body {
    public static final ObjectMapper JSON = Json.MAPPER;

    private final ObjectNode node;
    private final String path;

    private Body(ObjectNode node, String path) {
        this.node = node;
        this.path = path;
    }

    /** Parses a request body that must be one JSON object. */
    public static Body parse(byte[] bytes) {
        return parse(bytes, ArrayLimits.NONE);
    }

    /** Parses a request body that must be one JSON object, refusing arrays past {@code limits} before building its tree. */
    public static Body parse(byte[] bytes, ArrayLimits limits) {
        if (bytes.length == 0) throw ApiError.badRequest("empty request body: expected a JSON object");
        limits.check(bytes);
        JsonNode n;
        try {
            n = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("malformed JSON: " + JsonErrors.describe(e));
        } catch (IOException e) {
            throw ApiError.badRequest("unreadable request body: " + e.getMessage());
        }
        return of(n, "body");
    }

    /** Wraps {@code n}, which must be an object; {@code path} names it in errors. */
    public static Body of(JsonNode n, String path) {
        if (n == null || !n.isObject()) throw ApiError.badRequest(path + ": expected a JSON object, got " + kind(n));
        return new Body((ObjectNode) n, path);
    }

    /** Requires that every field is one of {@code allowed}. */
    public Body allow(Set<String> allowed) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw ApiError.badRequest(path + ": unknown field '" + f + "' (allowed: " + String.join(", ", new TreeSet<>(allowed)) + ")");
            }
        }
        return this;
    }

    public String path() {
        return path;
    }

    public boolean has(String f) {
        return node.hasNonNull(f);
    }

    public JsonNode raw(String f) {
        return node.get(f);
    }

    public String field(String f) {
        return path + "." + f;
    }

    public String string(String f, String dflt) {
        JsonNode v = node.get(f);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual()) throw ApiError.badRequest(field(f) + ": expected a string, got " + kind(v));
        return v.textValue();
    }

    public String requireString(String f) {
        String s = string(f, null);
        if (s == null) throw ApiError.badRequest(field(f) + " is required");
        return s;
    }

    public double number(String f, double dflt) {
        JsonNode v = node.get(f);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber() || !Double.isFinite(v.doubleValue())) throw ApiError.badRequest(field(f) + ": expected a finite number, got " + kind(v));
        return v.doubleValue();
    }

    public int integer(String f, int dflt) {
        JsonNode v = node.get(f);
        if (v == null || v.isNull()) return dflt;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw ApiError.badRequest(field(f) + ": expected an integer, got " + kind(v));
        return v.intValue();
    }

    public boolean bool(String f, boolean dflt) {
        JsonNode v = node.get(f);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw ApiError.badRequest(field(f) + ": expected true or false, got " + kind(v));
        return v.booleanValue();
    }

    /** An array of integers, or null when absent. */
    public int[] ints(String f) {
        return ints(node.get(f), field(f));
    }

    public static int[] ints(JsonNode v, String what) {
        if (v == null || v.isNull()) return null;
        if (!v.isArray()) throw ApiError.badRequest(what + ": expected an array of integers, got " + kind(v));
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = v.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToInt()) throw ApiError.badRequest(what + "[" + i + "]: expected an integer, got " + kind(e));
            out[i] = e.intValue();
        }
        return out;
    }

    /** An array of numbers as float32, or null when absent. */
    public static float[] floats(JsonNode v, String what) {
        if (v == null || v.isNull()) return null;
        if (!v.isArray()) throw ApiError.badRequest(what + ": expected an array of numbers, got " + kind(v));
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = v.get(i);
            if (!e.isNumber() || !Float.isFinite(e.floatValue())) throw ApiError.badRequest(what + "[" + i + "]: expected a finite float32, got " + kind(e));
            out[i] = e.floatValue();
        }
        return out;
    }

    /** The elements of an array field (empty when absent), each with its path. */
    public List<Element> array(String f) {
        JsonNode v = node.get(f);
        List<Element> out = new ArrayList<>();
        if (v == null || v.isNull()) return out;
        if (!v.isArray()) throw ApiError.badRequest(field(f) + ": expected an array, got " + kind(v));
        for (int i = 0; i < v.size(); i++) out.add(new Element(v.get(i), field(f) + "[" + i + "]"));
        return out;
    }

    /** One array element and the path that names it in errors. */
    public record Element(JsonNode node, String path) {}

    static String kind(JsonNode n) {
        if (n == null || n.isNull()) return "null";
        if (n.isTextual()) return "a string";
        if (n.isNumber()) return "a number (" + n + ")";
        if (n.isBoolean()) return n.toString();
        if (n.isArray()) return "an array";
        return "an object";
    }
}
