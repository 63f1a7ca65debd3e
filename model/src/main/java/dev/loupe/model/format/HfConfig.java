package dev.loupe.model.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * A Hugging Face {@code config.json} with typed accessors that fail with a message naming the
 * file, the field and the architecture that needed it, e.g.
 * {@code "…/config.json: missing field 'num_attention_heads' (needed for LlamaForCausalLM)"}.
 * A JSON {@code null} counts as absent (GPT-2 writes {@code "n_inner": null} to mean "default").
 * Generic: architecture adapters decide which fields they need.
 */
public final class HfConfig {
    private static final ObjectMapper JSON = Json.MAPPER;

    /** Sizes and counts that divide or allocate: zero or negative is refused where it is read, naming the field. */
    private static final Set<String> POSITIVE = Set.of("hidden_size", "n_embd", "num_attention_heads", "n_head", "num_key_value_heads",
            "num_hidden_layers", "n_layer", "vocab_size", "max_position_embeddings", "n_positions", "n_ctx", "head_dim",
            "type_vocab_size", "original_max_position_embeddings", "sliding_window_pattern", "_sliding_window_pattern");
    /**
     * Widths read before any weight is: at most {@value #MAX_WIDTH} (the largest published model is 16,384 wide), so a
     * fuzzed head_dim of 10^9 is refused here instead of sizing a rotary table out of heap before the weights disagree.
     */
    private static final Set<String> WIDTHS = Set.of("hidden_size", "n_embd", "head_dim");
    private static final int MAX_WIDTH = 1 << 17;
    /** Layer counts, read before any weight is: at most {@value #MAX_LAYERS} (a fuzzed 10^9 built per-layer specs out of heap). */
    private static final Set<String> LAYER_COUNTS = Set.of("num_hidden_layers", "n_layer");
    private static final int MAX_LAYERS = 1 << 12;
    /** Normalisation epsilons: a positive, small number (an absurd one silently flattens every activation). */
    private static final Set<String> EPSILONS = Set.of("layer_norm_eps", "layer_norm_epsilon", "rms_norm_eps", "norm_eps");
    private static final double MAX_EPSILON = 0.1;
    /** Fractions of each head that is rotated: in (0, 1] (a fuzzed 10^9 once asked for a rotary table of that size). */
    private static final Set<String> FRACTIONS = Set.of("rotary_pct", "partial_rotary_factor");

    private final ObjectNode json;
    private final String source;
    private final String prefix;
    private final String neededFor;

    /** Wraps {@code json} (copied); {@code source} names it in errors (a path, or e.g. "x.bin (llama2.c header)"). */
    public HfConfig(ObjectNode json, String source) {
        this(json.deepCopy(), source, "", null);
    }

    private HfConfig(ObjectNode json, String source, String prefix, String neededFor) {
        this.json = json;
        this.source = source;
        this.prefix = prefix;
        this.neededFor = neededFor != null ? neededFor : architectureOrNull(json);
    }

    /** Reads a {@code config.json} file; it must hold a JSON object. */
    public static HfConfig read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new FormatException(file + ": not valid JSON: " + JsonErrors.describe(e), e);
        }
        if (!(root instanceof ObjectNode obj)) throw new FormatException(file + ": expected a JSON object");
        return new HfConfig(obj, file.toString());
    }

    /** A copy of the underlying JSON. */
    public ObjectNode json() {
        return json.deepCopy();
    }

    /** What errors call this config: its file, or a description of where it came from. */
    public String source() {
        return source;
    }

    /** {@code architectures[0]} (e.g. "LlamaForCausalLM"), else {@code model_type} (e.g. "llama"). */
    public String architecture() {
        String a = architectureOrNull(json);
        if (a == null) throw new ConfigException(source + ": neither 'architectures' nor 'model_type' says which model this is");
        return a;
    }

    private static String architectureOrNull(ObjectNode json) {
        JsonNode archs = json.get("architectures");
        if (archs != null && archs.isArray() && !archs.isEmpty() && archs.get(0).isTextual()) return archs.get(0).textValue();
        JsonNode type = json.get("model_type");
        return type != null && type.isTextual() ? type.textValue() : null;
    }

    /** True when {@code field} is in the file at all, even as null (where null and absent differ, e.g. Gemma 2's soft-caps). */
    public boolean mentions(String field) {
        return json.has(field);
    }

    /** The names of the fields present (not null), in file order. */
    public java.util.List<String> fields() {
        java.util.List<String> out = new java.util.ArrayList<>();
        json.fieldNames().forEachRemaining(f -> {
            if (has(f)) out.add(f);
        });
        return out;
    }

    /** The name of {@code field} as errors write it (with the parent object's name for a nested config). */
    public String qualified(String field) {
        return prefix + field;
    }

    /** A list of strings (e.g. {@code layer_types}), or empty when absent. */
    public java.util.List<String> stringsOr(String field) {
        if (!has(field)) return java.util.List.of();
        JsonNode n = json.get(field);
        if (!n.isArray()) throw wrongType(field, n, "a list of strings");
        java.util.List<String> out = new java.util.ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) throw wrongType(field, n, "a list of strings");
            out.add(e.textValue());
        }
        return out;
    }

    /** True when {@code field} is present and not null. */
    public boolean has(String field) {
        JsonNode n = json.get(field);
        return n != null && !n.isNull();
    }

    /** The int at the first of {@code field} and its {@code aliases} present (e.g. "hidden_size", "n_embd"). */
    public int requireInt(String field, String... aliases) {
        String f = firstPresent(field, aliases);
        return asInt(f, json.get(f));
    }

    public int intOr(String field, int fallback) {
        return has(field) ? asInt(field, json.get(field)) : fallback;
    }

    public double requireDouble(String field, String... aliases) {
        String f = firstPresent(field, aliases);
        return asDouble(f, json.get(f));
    }

    public double doubleOr(String field, double fallback) {
        return has(field) ? asDouble(field, json.get(field)) : fallback;
    }

    public boolean requireBoolean(String field) {
        return asBoolean(field, json.get(firstPresent(field)));
    }

    public boolean booleanOr(String field, boolean fallback) {
        return has(field) ? asBoolean(field, json.get(field)) : fallback;
    }

    public String requireString(String field) {
        return asString(field, json.get(firstPresent(field)));
    }

    public String stringOr(String field, String fallback) {
        return has(field) ? asString(field, json.get(field)) : fallback;
    }

    /** A nested object (e.g. {@code rope_scaling}) with the same accessors; errors name it as "parent.field". */
    public Optional<HfConfig> object(String field) {
        if (!has(field)) return Optional.empty();
        JsonNode n = json.get(field);
        if (!(n instanceof ObjectNode obj)) throw wrongType(field, n, "an object");
        return Optional.of(new HfConfig(obj, source, prefix + field + ".", neededFor));
    }

    /** {@code rope_scaling} if present and not null (e.g. {"rope_type": "llama3", "factor": 8.0, ...}). */
    public Optional<HfConfig> ropeScaling() {
        return object("rope_scaling");
    }

    @Override
    public String toString() {
        return "HfConfig[" + source + (prefix.isEmpty() ? "" : " " + prefix) + "]";
    }

    private String firstPresent(String field, String... aliases) {
        if (has(field)) return field;
        for (String a : aliases) if (has(a)) return a;
        StringBuilder names = new StringBuilder("'" + prefix + field + "'");
        for (String a : aliases) names.append(" (or '").append(prefix).append(a).append("')");
        throw new ConfigException(source + ": missing field " + names + neededForSuffix());
    }

    private int asInt(String field, JsonNode n) {
        if (!n.isNumber() || !n.canConvertToExactIntegral() || !n.canConvertToInt()) throw wrongType(field, n, "an int");
        if (POSITIVE.contains(field) && n.intValue() <= 0) throw wrongType(field, n, "a positive size");
        if (WIDTHS.contains(field) && n.intValue() > MAX_WIDTH) throw wrongType(field, n, "a width of at most " + MAX_WIDTH);
        if (LAYER_COUNTS.contains(field) && n.intValue() > MAX_LAYERS) throw wrongType(field, n, "at most " + MAX_LAYERS + " layers");
        return n.intValue();
    }

    private double asDouble(String field, JsonNode n) {
        if (!n.isNumber() || !Double.isFinite(n.doubleValue())) throw wrongType(field, n, "a finite number");
        double v = n.doubleValue();
        if (EPSILONS.contains(field) && !(v > 0 && v <= MAX_EPSILON)) throw wrongType(field, n, "an epsilon in (0, " + MAX_EPSILON + "]");
        if (FRACTIONS.contains(field) && !(v > 0 && v <= 1)) throw wrongType(field, n, "a fraction in (0, 1]");
        return v;
    }

    private boolean asBoolean(String field, JsonNode n) {
        if (!n.isBoolean()) throw wrongType(field, n, "true or false");
        return n.booleanValue();
    }

    private String asString(String field, JsonNode n) {
        if (!n.isTextual()) throw wrongType(field, n, "a string");
        return n.textValue();
    }

    private ConfigException wrongType(String field, JsonNode n, String expected) {
        return new ConfigException(source + ": field '" + prefix + field + "' is " + n + ", expected " + expected + neededForSuffix());
    }

    private String neededForSuffix() {
        return neededFor == null ? "" : " (needed for " + neededFor + ")";
    }
}
