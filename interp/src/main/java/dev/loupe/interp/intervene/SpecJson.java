package dev.loupe.interp.intervene;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.JsonErrors;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/** The JSON form of an {@link InterventionSpec}: strict reading (every error names its field) and writing. */
final class SpecJson {
    private static final ObjectMapper JSON = Json.MAPPER;
    private static final List<String> COMMON = List.of("hook", "op", "positions", "heads", "rows");
    private static final Map<String, List<String>> OP_FIELDS = Map.of(
            "add", List.of("vector", "scale"),
            "set", List.of("value"),
            "clamp", List.of("min", "max"),
            "zero", List.of(),
            "mean", List.of("means"),
            "resample", List.of("input"),
            "project_out", List.of("direction"),
            "project_onto", List.of("direction"),
            "patch", List.of("source"));

    private SpecJson() {}

    static InterventionSpec read(String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SpecException("spec", "not valid JSON: " + JsonErrors.describe(e));
        }
        if (root == null || !root.isObject()) throw new SpecException("spec", "expected a JSON object with \"version\" and \"interventions\"");
        allowOnly(root, "spec", List.of("version", "interventions", "features"));
        JsonNode v = root.get("version");
        if (v == null) throw new SpecException("version", "missing; this Loupe reads version " + InterventionSpec.VERSION);
        if (!v.isInt()) throw new SpecException("version", "expected an integer, got " + v);
        if (v.asInt() != InterventionSpec.VERSION) {
            throw new SpecException("version", "unsupported version " + v.asInt() + "; this Loupe reads version " + InterventionSpec.VERSION);
        }
        JsonNode list = root.get("interventions");
        if (list == null || !list.isArray()) throw new SpecException("interventions", "expected an array of interventions");
        List<Intervention> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) out.add(intervention(list.get(i), "interventions[" + i + "]"));
        return new InterventionSpec(InterventionSpec.VERSION, out, features(root.get("features")));
    }

    /** {"edits": [{"layer", "position", "feature", "op": set|scale|zero, "value"}], "freeze_attention", "constrained_layers": [from, to]}. */
    private static FeatureEdits features(JsonNode n) {
        if (n == null) return FeatureEdits.NONE;
        String path = "features";
        if (!n.isObject()) throw new SpecException(path, "expected an object with \"edits\"");
        allowOnly(n, path, List.of("edits", "freeze_attention", "constrained_layers"));
        JsonNode list = n.get("edits");
        if (list == null || !list.isArray()) throw new SpecException(path + ".edits", "expected an array of feature edits");
        List<FeatureEdits.FeatureEdit> edits = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode e = list.get(i);
            String p = path + ".edits[" + i + "]";
            if (!e.isObject()) throw new SpecException(p, "expected {\"layer\", \"position\", \"feature\", \"op\", \"value\"}");
            allowOnly(e, p, List.of("layer", "position", "feature", "op", "value"));
            String op = string(e, p, "op");
            FeatureEdits.FeatureEdit.Kind kind = switch (op) {
                case "set" -> FeatureEdits.FeatureEdit.Kind.SET;
                case "scale" -> FeatureEdits.FeatureEdit.Kind.SCALE;
                case "zero" -> FeatureEdits.FeatureEdit.Kind.ZERO;
                default -> throw new SpecException(p + ".op", "unknown feature op '" + op + "'; known: set, scale, zero");
            };
            if (kind != FeatureEdits.FeatureEdit.Kind.ZERO && !e.has("value")) throw new SpecException(p + ".value", "missing (needed by " + op + ")");
            for (String f : List.of("layer", "position", "feature")) if (!e.has(f)) throw new SpecException(p + "." + f, "missing");
            edits.add(new FeatureEdits.FeatureEdit((int) integer(e, p, "layer", 0), (int) integer(e, p, "position", 0), (int) integer(e, p, "feature", 0),
                    kind, (float) number(e, p, "value", 0)));
        }
        JsonNode freeze = n.get("freeze_attention");
        if (freeze != null && !freeze.isBoolean()) throw new SpecException(path + ".freeze_attention", "expected true or false, got " + freeze);
        int from = -1, to = -1;
        int[] range = ints(n, path, "constrained_layers");
        if (range != null) {
            if (range.length != 2) throw new SpecException(path + ".constrained_layers", "expected [from, to] (inclusive)");
            from = range[0];
            to = range[1];
        }
        return new FeatureEdits(edits, freeze != null && freeze.asBoolean(), from, to);
    }

    private static Intervention intervention(JsonNode n, String path) {
        if (!n.isObject()) throw new SpecException(path, "expected an object with \"hook\" and \"op\"");
        String hook = string(n, path, "hook");
        String op = string(n, path, "op");
        List<String> own = OP_FIELDS.get(op);
        if (own == null) throw new SpecException(path + ".op", "unknown op '" + op + "'; known: " + String.join(", ", Operation.NAMES));
        List<String> allowed = new ArrayList<>(COMMON);
        allowed.addAll(own);
        allowOnly(n, path, allowed);
        Operation operation = switch (op) {
            case "add" -> new Operation.Add(tensor(n, path, "vector", false, true), (float) number(n, path, "scale", 1));
            case "set" -> new Operation.Set(tensor(n, path, "value", true, true));
            case "clamp" -> {
                if (!n.has("min") && !n.has("max")) throw new SpecException(path, "clamp needs \"min\", \"max\" or both");
                float min = (float) number(n, path, "min", Double.NEGATIVE_INFINITY), max = (float) number(n, path, "max", Double.POSITIVE_INFINITY);
                if (min > max) throw new SpecException(path + ".min", "min " + min + " is above max " + max);
                yield new Operation.Clamp(min, max);
            }
            case "zero" -> new Operation.Zero();
            case "mean" -> new Operation.Mean(tensor(n, path, "means", false, false));
            case "resample" -> resample(n, path);
            case "project_out" -> new Operation.ProjectOut(tensor(n, path, "direction", false, true));
            case "project_onto" -> new Operation.ProjectOnto(tensor(n, path, "direction", false, true));
            case "patch" -> new Operation.Patch(tensor(n, path, "source", false, false));
            default -> throw new IllegalStateException(op);
        };
        Scope scope = new Scope(positions(n.get("positions"), path + ".positions"), ints(n, path, "heads"), ints(n, path, "rows"));
        return new Intervention(hook, operation, scope);
    }

    private static Operation.Resample resample(JsonNode n, String path) {
        String p = path + ".input";
        JsonNode in = n.get("input");
        if (in == null || !in.isObject()) throw new SpecException(p, "expected {\"ids\": [...]} or {\"text\": \"...\"}");
        allowOnly(in, p, List.of("ids", "text"));
        if (in.has("ids") == in.has("text")) throw new SpecException(p, "give exactly one of \"ids\" and \"text\"");
        if (in.has("text")) return new Operation.Resample(null, string(in, p, "text"));
        int[] ids = ints(in, p, "ids");
        if (ids.length == 0) throw new SpecException(p + ".ids", "expected at least one token id");
        return new Operation.Resample(ids, null);
    }

    private static Positions positions(JsonNode n, String path) {
        if (n == null || (n.isTextual() && n.asText().equals("all"))) return Positions.ALL;
        if (n.isArray()) return new Positions.At(intArray(n, path, 0));
        if (n.isObject()) {
            allowOnly(n, path, List.of("from", "to"));
            int from = (int) integer(n, path, "from", 0);
            int to = (int) integer(n, path, "to", Integer.MAX_VALUE);
            if (from > to) throw new SpecException(path, "from " + from + " is after to " + to);
            return new Positions.Range(from, to);
        }
        throw new SpecException(path, "expected \"all\", an array of positions, or {\"from\": i, \"to\": j}; got " + n);
    }

    private static TensorRef tensor(JsonNode n, String path, String field, boolean scalarOk, boolean required) {
        JsonNode v = n.get(field);
        String p = path + "." + field;
        if (v == null) {
            if (required) throw new SpecException(p, "missing");
            return null;
        }
        if (scalarOk && v.isNumber()) return new TensorRef.Scalar(finite(v, p));
        if (v.isArray()) {
            float[] f = new float[v.size()];
            for (int i = 0; i < f.length; i++) {
                if (!v.get(i).isNumber()) throw new SpecException(p + "[" + i + "]", "expected a number, got " + v.get(i));
                f[i] = finite(v.get(i), p + "[" + i + "]");
            }
            if (f.length == 0) throw new SpecException(p, "expected a non-empty array");
            return new TensorRef.Inline(f);
        }
        if (v.isObject()) {
            allowOnly(v, p, List.of("ref"));
            return new TensorRef.Named(string(v, p, "ref"));
        }
        throw new SpecException(p, "expected " + (scalarOk ? "a number, " : "") + "an array of numbers or {\"ref\": \"name\"}, got " + v);
    }

    private static String string(JsonNode n, String path, String field) {
        JsonNode v = n.get(field);
        if (v == null) throw new SpecException(path + "." + field, "missing");
        if (!v.isTextual()) throw new SpecException(path + "." + field, "expected a string, got " + v);
        return v.asText();
    }

    private static double number(JsonNode n, String path, String field, double fallback) {
        JsonNode v = n.get(field);
        if (v == null) return fallback;
        if (!v.isNumber()) throw new SpecException(path + "." + field, "expected a number, got " + v);
        return finite(v, path + "." + field);
    }

    /** A number as float32, refused when it is not finite there (1e39 overflows to Inf). */
    private static float finite(JsonNode v, String path) {
        float f = v.floatValue();
        if (!Float.isFinite(f)) throw new SpecException(path, v + " is not a finite float32");
        return f;
    }

    private static long integer(JsonNode n, String path, String field, long fallback) {
        JsonNode v = n.get(field);
        if (v == null) return fallback;
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0) {
            throw new SpecException(path + "." + field, "expected a non-negative integer, got " + v);
        }
        return v.asInt();
    }

    private static int[] ints(JsonNode n, String path, String field) {
        JsonNode v = n.get(field);
        if (v == null) return null;
        return intArray(v, path + "." + field, 0);
    }

    private static int[] intArray(JsonNode v, String path, int min) {
        if (!v.isArray()) throw new SpecException(path, "expected an array of integers, got " + v);
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = v.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToInt() || e.asInt() < min) {
                throw new SpecException(path + "[" + i + "]", "expected a non-negative integer, got " + e);
            }
            out[i] = e.asInt();
        }
        return out;
    }

    private static void allowOnly(JsonNode n, String path, List<String> allowed) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new SpecException(path + "." + f, "unknown field; allowed here: " + String.join(", ", new LinkedHashSet<>(allowed)));
            }
        }
    }

    static String write(InterventionSpec spec) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", spec.version());
        ArrayNode list = root.putArray("interventions");
        for (Intervention iv : spec.interventions()) {
            ObjectNode o = list.addObject();
            o.put("hook", iv.hook());
            o.put("op", iv.op().name());
            switch (iv.op()) {
                case Operation.Add a -> {
                    put(o, "vector", a.vector());
                    o.put("scale", a.scale());
                }
                case Operation.Set s -> put(o, "value", s.value());
                case Operation.Clamp c -> {
                    if (c.min() != Float.NEGATIVE_INFINITY) o.put("min", c.min());
                    if (c.max() != Float.POSITIVE_INFINITY) o.put("max", c.max());
                }
                case Operation.Zero z -> { }
                case Operation.Mean m -> put(o, "means", m.means());
                case Operation.Resample r -> {
                    ObjectNode in = o.putObject("input");
                    if (r.text() != null) in.put("text", r.text());
                    else putInts(in, "ids", r.ids());
                }
                case Operation.ProjectOut p -> put(o, "direction", p.direction());
                case Operation.ProjectOnto p -> put(o, "direction", p.direction());
                case Operation.Patch p -> put(o, "source", p.source());
            }
            Scope s = iv.scope();
            switch (s.positions()) {
                case Positions.All a -> o.put("positions", "all");
                case Positions.At at -> putInts(o, "positions", at.positions());
                case Positions.Range r -> {
                    ObjectNode range = o.putObject("positions").put("from", r.from());
                    if (r.to() != Integer.MAX_VALUE) range.put("to", r.to());
                }
            }
            if (s.heads() != null) putInts(o, "heads", s.heads());
            if (s.rows() != null) putInts(o, "rows", s.rows());
        }
        FeatureEdits f = spec.features();
        if (!f.isEmpty()) {
            ObjectNode fo = root.putObject("features");
            ArrayNode edits = fo.putArray("edits");
            for (FeatureEdits.FeatureEdit e : f.edits()) {
                ObjectNode eo = edits.addObject().put("layer", e.layer()).put("position", e.position()).put("feature", e.feature())
                        .put("op", e.kind().name().toLowerCase(java.util.Locale.ROOT));
                if (e.kind() != FeatureEdits.FeatureEdit.Kind.ZERO) eo.put("value", e.value());
            }
            fo.put("freeze_attention", f.freezeAttention());
            if (f.constrainedFrom() >= 0) putInts(fo, "constrained_layers", new int[] {f.constrainedFrom(), f.constrainedTo()});
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void put(ObjectNode o, String field, TensorRef ref) {
        switch (ref) {
            case null -> { }
            case TensorRef.Scalar s -> o.put(field, s.value());
            case TensorRef.Inline v -> {
                ArrayNode a = o.putArray(field);
                for (float f : v.values()) a.add(f);
            }
            case TensorRef.Named n -> o.putObject(field).put("ref", n.name());
        }
    }

    private static void putInts(ObjectNode o, String field, int[] values) {
        ArrayNode a = o.putArray(field);
        for (int v : values) a.add(v);
    }
}
