package dev.loupe.sae;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The architectures Loupe trains and loads, by name: {@code standard} (ReLU with decoder-norm-weighted L1,
 * Anthropic's April 2024 recipe), {@code topk} and {@code batchtopk} (Gao et al. 2024; Bussmann et al. 2024)
 * with AuxK, and {@code jumprelu} (Rajamanoharan et al. 2024). Adding one is one {@code register} line.
 */
public final class SaeArchitectures {
    private static final Map<String, SaeArchitecture> BY_NAME = new LinkedHashMap<>();

    static {
        register(new ReluL1());
        register(new TopKArch());
        register(new BatchTopKArch());
        register(new JumpRelu());
    }

    private SaeArchitectures() {}

    private static void register(SaeArchitecture a) {
        BY_NAME.put(a.name(), a);
    }

    /** The architecture called {@code name}; a clear error lists the known ones. */
    public static SaeArchitecture get(String name) {
        SaeArchitecture a = BY_NAME.get(name);
        if (a == null) throw new IllegalArgumentException("unknown SAE architecture '" + name + "'; known: " + String.join(", ", BY_NAME.keySet()));
        return a;
    }

    public static Iterable<String> names() {
        return BY_NAME.keySet();
    }

    /** A freshly initialised SAE of {@code cfg}'s architecture. */
    public static Sae create(SaeConfig cfg, Rng rng, float initialThreshold) {
        SaeArchitecture a = get(cfg.architecture());
        return Sae.initialize(cfg, rng, a.initialDecoderNorm(), a.trainsThreshold() ? initialThreshold : 0f);
    }
}
