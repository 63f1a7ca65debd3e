package dev.loupe.sae;

import dev.loupe.model.SharedModels;
import dev.loupe.model.tokenizer.Tokenizers;
import java.nio.file.Path;

/**
 * {@code sae features} as the kill and full-disk tests run it: a random TopK SAE of {@code d_sae} latents over
 * stories260K's layer-2 residual, scanned over 2 batches of 4 Brown contexts into a SQLite feature store (args: the
 * store's path, d_sae). Seeded, so every run writes the same store.
 */
public final class FeatureScanChild {
    private FeatureScanChild() {}

    static void scan(Path out, int dSae) throws Exception {
        SaeConfig cfg = new SaeConfig("topk", 64, dSae, SaeSpliceTest.HOOK, 2, "stories260K", 8, true, "none", 0);
        Sae sae = SaeArchitectures.create(cfg, new Rng(2), 0);
        FeatureScan.run(StoriesTopKTest.model(), Tokenizers.load(SharedModels.path("stories260K/tok512.bin")), sae, StoriesTopKTest.texts(0, 20, 64),
                2, 4, 5, 4, 3, out);
    }

    public static void main(String[] args) throws Exception {
        scan(Path.of(args[0]), Integer.parseInt(args[1]));
    }
}
