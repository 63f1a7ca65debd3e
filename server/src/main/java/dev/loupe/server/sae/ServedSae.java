package dev.loupe.server.sae;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.sae.Sae;
import dev.loupe.sae.SaeLensFormat;
import dev.loupe.sae.SaeSplice;
import dev.loupe.server.api.ModelNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A sparse autoencoder loaded at start-up (SAELens layout: cfg.json + sae_weights.safetensors) under a name, with
 * the hook it reads and, when {@code features.db} (written by {@code loupe sae features}) lies beside it, its
 * feature dashboards. {@code decoder} is W_dec [d_sae, d_in], row-major, read once. Requests refer to it only by name.
 */
public record ServedSae(String name, Sae sae, HookSpec hook, FeatureStore features, float[] decoder) {

    /** The feature store file {@code loupe sae features --out DIR/features.db} writes beside an SAE. */
    public static final String FEATURES_FILE = "features.db";

    /**
     * Loads {@code spec}: {@code DIR} (named after the folder) or {@code NAME=DIR}.
     *
     * @throws IllegalArgumentException when the SAE does not fit the model or the name is unusable
     */
    public static ServedSae load(String spec, HookedTransformer model) throws IOException {
        int eq = spec.indexOf('=');
        Path dir = Path.of(eq > 0 ? spec.substring(eq + 1) : spec);
        String name = eq > 0 ? spec.substring(0, eq) : dir.toAbsolutePath().normalize().getFileName().toString();
        if (ModelNames.pathLike(name) || name.isBlank()) throw new IllegalArgumentException("SAE name '" + name + "' must not look like a path");
        Sae sae = SaeLensFormat.read(dir);
        HookSpec hook = SaeSplice.requireFits(model, sae);
        Path db = dir.resolve(FEATURES_FILE);
        return new ServedSae(name, sae, hook, Files.isRegularFile(db) ? FeatureStore.open(db) : null, sae.wDec().data());
    }
}
