package dev.loupe.sae;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The public registry of dictionary architectures, by name: {@code standard} (ReLU with decoder-norm-weighted
 * L1, Anthropic's April 2024 recipe), {@code topk} and {@code batchtopk} (Gao et al. 2024; Bussmann et al.
 * 2024) with AuxK, and {@code jumprelu} (Rajamanoharan et al. 2024). A new kind is one {@link SaeArchitecture}
 * class and one {@link #register} call (built-ins below, or from a caller before use).
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

    /** Adds an architecture under its {@link SaeArchitecture#name()}; a name already taken is refused. */
    public static synchronized void register(SaeArchitecture a) {
        if (BY_NAME.containsKey(a.name())) throw new IllegalArgumentException("SAE architecture '" + a.name() + "' is already registered");
        BY_NAME.put(a.name(), a);
    }

    /** The architecture called {@code name}; a clear error lists the known ones. */
    public static synchronized SaeArchitecture get(String name) {
        SaeArchitecture a = BY_NAME.get(name);
        if (a == null) throw new IllegalArgumentException("unknown SAE architecture '" + name + "'; known: " + String.join(", ", BY_NAME.keySet()));
        return a;
    }

    /**
     * The architecture a SAELens config names: {@code architecture}, except that SAELens 5.x writes TopK SAEs as
     * {@code standard} with {@code activation_fn_str} naming the activation; then the architecture whose
     * {@link SaeArchitecture#activationFn()} it is.
     */
    public static SaeArchitecture resolve(String architecture, String activationFn) {
        SaeArchitecture a = get(architecture);
        if (!a.name().equals("standard") || a.activationFn().equals(activationFn)) return a;
        return BY_NAME.values().stream().filter(b -> b.activationFn().equals(activationFn)).findFirst().orElse(a);
    }

    /**
     * The inference architecture a transcoder activation name means (circuit-tracer's and SAELens's spellings):
     * relu → standard, jumprelu / jump_relu → jumprelu, topk → topk; any registered name gives its inference form
     * (batchtopk → jumprelu).
     */
    public static SaeArchitecture forActivation(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT).replace("_", "").replace("-", "");
        SaeArchitecture a;
        synchronized (SaeArchitectures.class) {
            a = BY_NAME.get(n.equals("relu") ? "standard" : n);
        }
        if (a == null) throw new IllegalArgumentException("unknown transcoder activation '" + name + "' (expected relu, jumprelu or topk, or one of " + String.join(", ", names()) + ")");
        return get(a.inferenceName());
    }

    /** The activation name circuit-tracer's config uses for {@code a}: relu (standard), jumprelu, topk. */
    public static String activationName(SaeArchitecture a) {
        return a.name().equals("standard") ? "relu" : a.name();
    }

    /** Sparse codes of pre-activations [rows, width] by {@code a}'s inference rule; threshold [width] or null, k or 0. */
    public static SparseCodes activate(SaeArchitecture a, float[] pre, int rows, int width, float[] threshold, int k) {
        return a.activate(new Latents(width, k, threshold, null, 0), pre, rows);
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
