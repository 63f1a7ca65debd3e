package dev.loupe.model.arch;

import dev.loupe.core.kernels.Rotary;
import dev.loupe.model.TransformerConfig.LayerAttention;
import dev.loupe.model.format.ConfigException;
import dev.loupe.model.format.HfConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Which blocks attend through a sliding window, from either config style real checkpoints carry: the newer
 * {@code layer_types} list ({@code "full_attention"} / {@code "sliding_attention"} per block) or an
 * architecture's older rule (Gemma 2: even blocks; Gemma 3: {@code sliding_window_pattern}; Mistral: all).
 */
final class AttentionLayers {
    private AttentionLayers() {}

    /**
     * @param window the sliding window's width in keys; 0 when the config has none (then no block may be local)
     * @param localByDefault the older rule, used when there is no {@code layer_types}
     * @param global rotary table of global blocks; {@code local} that of local ones
     */
    static List<LayerAttention> of(HfConfig c, int nLayers, int window, IntPredicate localByDefault, Rotary global, Rotary local) {
        List<String> types = c.stringsOr("layer_types");
        if (!types.isEmpty() && types.size() != nLayers) {
            throw new ConfigException(c.source() + ": field '" + c.qualified("layer_types") + "' has " + types.size()
                    + " entries but there are " + nLayers + " layers");
        }
        List<LayerAttention> out = new ArrayList<>();
        for (int l = 0; l < nLayers; l++) {
            boolean isLocal;
            if (types.isEmpty()) {
                isLocal = localByDefault.test(l);
            } else {
                isLocal = switch (types.get(l)) {
                    case "full_attention" -> false;
                    case "sliding_attention" -> true;
                    default -> throw new ConfigException(c.source() + ": field '" + c.qualified("layer_types") + "' entry " + l + " is '"
                            + types.get(l) + "', which Loupe does not implement (supported: full_attention, sliding_attention)");
                };
            }
            if (isLocal && window <= 0) {
                throw new ConfigException(c.source() + ": layer " + l + " uses sliding-window attention but field '"
                        + c.qualified("sliding_window") + "' gives no window");
            }
            out.add(isLocal ? new LayerAttention(window, local) : new LayerAttention(0, global));
        }
        return out;
    }
}
