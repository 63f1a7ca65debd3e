package dev.loupe.sae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import dev.loupe.model.tokenizer.Tokenizers;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureScanTest {
    @TempDir
    Path dir;

    @Test
    void scanWritesQueryableStore() throws Exception {
        HookedTransformer model = StoriesTopKTest.model();
        Sae sae = SaeSpliceTest.randomSae(64);
        Path db = dir.resolve("features.db");
        var tok = Tokenizers.load(SharedModels.path("stories260K/tok512.bin"));
        FeatureScan.run(model, tok, sae, StoriesTopKTest.texts(0, 20, 64), 2, 4, 5, 4, 3, db);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            ResultSet r = c.createStatement().executeQuery("SELECT sum(fire_count), (SELECT value FROM meta WHERE key='tokens') FROM features");
            r.next();
            long fires = r.getLong(1), tokens = Long.parseLong(r.getString(2));
            assertEquals(2 * 4 * 63, tokens);
            assertEquals(8 * tokens, fires, "TopK k=8 fires exactly k latents per token");
            r = c.createStatement().executeQuery("SELECT count(*) FROM examples WHERE rank = 0");
            r.next();
            assertTrue(r.getInt(1) > 0);
            r = c.createStatement().executeQuery("SELECT count(*) FROM logit_effects");
            r.next();
            assertEquals(128 * 2 * 3, r.getInt(1));
            r = c.createStatement().executeQuery("SELECT sum(count) FROM histogram");
            r.next();
            assertEquals(fires, r.getLong(1));
        }
    }
}
