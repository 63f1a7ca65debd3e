package dev.loupe.server;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.sae.FeatureScan;
import dev.loupe.sae.Rng;
import dev.loupe.sae.Sae;
import dev.loupe.sae.SaeArchitectures;
import dev.loupe.sae.SaeConfig;
import dev.loupe.sae.SaeLensFormat;
import dev.loupe.sae.TextContexts;
import java.nio.file.Path;
import java.util.List;

/** A small random TopK SAE on stories260K's blocks.2.hook_resid_post, with a feature store, written to a folder. */
final class TinySae {
    static final String HOOK = "blocks.2.hook_resid_post";

    private TinySae() {}

    static Sae write(Path dir) throws Exception {
        Sae sae = SaeArchitectures.create(new SaeConfig("topk", 64, 128, HOOK, 2, "stories260K", 8, true, "none", 0), new Rng(2), 0);
        SaeLensFormat.write(sae, dir);
        var bin = SharedModels.path("stories260K/stories260K.bin");
        LoadedModel m = ModelLoader.load(bin.toString(), bin.resolveSibling("tok512.bin"));
        var texts = new TextContexts(List.of("Lily was happy. She played with her ball in the park every day.",
                "Tom saw a big dog. The dog was sad and ran away from the red car."), m.tokenizer(), 16);
        FeatureScan.run(m.transformer(), m.tokenizer(), sae, texts, 2, 2, 5, 4, 3, dir.resolve("features.db"));
        return sae;
    }
}
