package dev.loupe.server.circuits;

import dev.loupe.sae.ScanTarget;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.Transcoders;
import dev.loupe.server.sae.FeatureStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The transcoders a server attributes through, with the feature stores ({@code loupe sae features --transcoders})
 * that give its features dashboards: {@code stores[layer]}, null where a layer has none.
 */
public record ServedTranscoders(Transcoders transcoders, FeatureStore[] stores) {

    /** Transcoders without dashboards. */
    public static ServedTranscoders of(Transcoders tc) {
        return new ServedTranscoders(tc, new FeatureStore[tc.nLayers()]);
    }

    /**
     * Reads a circuit-tracer folder and opens {@code storesDir/layer_{i}.db} for each layer that has one; storesDir
     * null means {@code dir/features} when it exists. A storesDir given but holding no store is an error.
     */
    public static ServedTranscoders load(Path dir, Path storesDir) throws IOException {
        Transcoders tc = CircuitTracerFormat.read(dir);
        Path folder = storesDir != null ? storesDir : dir.resolve(ScanTarget.TRANSCODER_STORES);
        FeatureStore[] stores = new FeatureStore[tc.nLayers()];
        int found = 0;
        for (int l = 0; l < stores.length; l++) {
            Path db = folder.resolve(ScanTarget.transcoderStore(l));
            if (Files.isRegularFile(db)) {
                stores[l] = FeatureStore.open(db);
                found++;
            }
        }
        if (storesDir != null && found == 0) {
            throw new IOException(storesDir + ": no transcoder feature stores (layer_{i}.db for layers 0.." + (tc.nLayers() - 1)
                    + "; write them with 'loupe sae features --transcoders')");
        }
        return new ServedTranscoders(tc, stores);
    }
}
