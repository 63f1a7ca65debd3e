package dev.loupe.interp.steer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything needed to apply a saved steering vector without guessing, stored as safetensors metadata.
 *
 * @param model where the model came from (path or hub id)
 * @param architecture the model's architecture name
 * @param dModel the model's residual width
 * @param hook the hook the vector was read at and is added at
 * @param layer the hook's layer (-1 for model-level hooks)
 * @param normalization "none" (the raw mean difference) or "unit" (scaled to length 1)
 * @param method "mean-diff" or "pca"
 * @param position "last" (last token of each prompt) or "mean" (mean over its positions)
 * @param pairs number of contrast pairs
 * @param loupeVersion the Loupe version that built it
 */
public record SteeringMetadata(String model, String architecture, int dModel, String hook, int layer, String normalization,
                               String method, String position, int pairs, String loupeVersion) {
    /** Format tag of steering vector files. */
    public static final String FORMAT = "loupe.steering/1";
    /** The intervention a steering vector is applied with. */
    public static final String OPERATION = "add";

    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("model", model);
        m.put("architecture", architecture);
        m.put("d_model", Integer.toString(dModel));
        m.put("hook", hook);
        m.put("layer", Integer.toString(layer));
        m.put("operation", OPERATION);
        m.put("normalization", normalization);
        m.put("method", method);
        m.put("position", position);
        m.put("pairs", Integer.toString(pairs));
        m.put("loupe_version", loupeVersion);
        return m;
    }

    /** Reads the metadata of a file written by {@link #toMap}; errors name the file and the key. */
    public static SteeringMetadata fromMap(Map<String, String> m, String file) {
        if (!FORMAT.equals(m.get("format"))) {
            throw new IllegalArgumentException(file + ": not a Loupe steering vector (metadata format is "
                    + (m.containsKey("format") ? "'" + m.get("format") + "'" : "absent") + ", expected '" + FORMAT + "')");
        }
        if (!OPERATION.equals(m.get("operation"))) {
            throw new IllegalArgumentException(file + ": operation '" + m.get("operation") + "' is not supported (expected 'add')");
        }
        return new SteeringMetadata(key(m, "model", file), key(m, "architecture", file), integer(m, "d_model", file),
                key(m, "hook", file), integer(m, "layer", file), key(m, "normalization", file), key(m, "method", file),
                key(m, "position", file), integer(m, "pairs", file), key(m, "loupe_version", file));
    }

    private static String key(Map<String, String> m, String key, String file) {
        String v = m.get(key);
        if (v == null) throw new IllegalArgumentException(file + ": metadata key '" + key + "' is missing");
        return v;
    }

    private static int integer(Map<String, String> m, String key, String file) {
        try {
            return Integer.parseInt(key(m, key, file));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": metadata key '" + key + "' is not an integer: '" + m.get(key) + "'");
        }
    }
}
