package dev.loupe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.sae.SparseCodes;
import dev.loupe.sae.TextContexts;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.Transcoders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sae features --transcoders}: one feature store per layer in the SAE store's format, whose per-feature maximum
 * activations equal those found here by encoding the same contexts' MLP inputs with the transcoders.
 */
class TranscoderFeaturesCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesAStorePerLayerWithTheFeaturesActivations() throws Exception {
        Path model = SharedModels.path("gpt2-tiny-random"), tcDir = SharedModels.path("circuits-tiny/plt-skip");
        List<String> docs = List.of("The cat sat on the mat because it was warm and the sun was out.",
                "A dog ran to the park, and the children played with it until the evening came.", "She read a book about the sea.");
        Path data = dir.resolve("docs.jsonl");
        Files.write(data, docs.stream().map(d -> "{\"text\": \"" + d + "\"}").toList());
        Path out = dir.resolve("features");
        CliRunner r = CliRunner.run("sae", "features", "--model", model.toString(), "--transcoders", tcDir.toString(), "--data", data.toString(),
                "--context", "12", "--batches", "2", "--batch-size", "2", "--top", "3", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());

        LoadedModel m = ModelLoader.load(model.toString(), null);
        Transcoders tc = CircuitTracerFormat.read(tcDir);
        TextContexts texts = new TextContexts(docs, m.tokenizer(), 12);
        int first = texts.hasBos() ? 1 : 0, d = tc.dModel();
        float[][] max = new float[tc.nLayers()][tc.width(0)];
        for (int b = 0; b < 2; b++) {
            int[][] ids = texts.next(2);
            ActivationCache c = new ActivationCache();
            m.transformer().runWithCache(ids, List.of("blocks.*.ln2.hook_normalized"), c);
            for (int l = 0; l < tc.nLayers(); l++) {
                float[] x = c.get("blocks." + l + ".ln2.hook_normalized").data();
                for (int s = 0; s < ids.length; s++) {
                    for (int p = first; p < ids[s].length; p++) {
                        SparseCodes f = tc.encode(l, java.util.Arrays.copyOfRange(x, (s * ids[s].length + p) * d, (s * ids[s].length + p + 1) * d), 1);
                        for (int k = 0; k < f.nnz(); k++) max[l][f.index()[k]] = Math.max(max[l][f.index()[k]], f.value()[k]);
                    }
                }
            }
        }
        for (int l = 0; l < tc.nLayers(); l++) {
            Path db = out.resolve("layer_" + l + ".db");
            assertTrue(Files.isRegularFile(db), db.toString());
            try (Connection con = DriverManager.getConnection("jdbc:sqlite:" + db)) {
                ResultSet meta = con.createStatement().executeQuery("SELECT value FROM meta WHERE key = 'hook_name'");
                assertTrue(meta.next());
                assertEquals("blocks." + l + ".ln2.hook_normalized", meta.getString(1));
                ResultSet rs = con.createStatement().executeQuery("SELECT id, max_act FROM features ORDER BY id");
                int n = 0, fired = 0;
                while (rs.next()) {
                    assertEquals(max[l][rs.getInt(1)], rs.getDouble(2), 1e-4 * Math.max(1, max[l][rs.getInt(1)]), "layer " + l + " feature " + rs.getInt(1));
                    if (rs.getDouble(2) > 0) fired++;
                    n++;
                }
                assertEquals(tc.width(l), n);
                assertTrue(fired > 0);
                ResultSet logits = con.createStatement().executeQuery("SELECT COUNT(*) FROM logit_effects");
                assertTrue(logits.next() && logits.getInt(1) > 0, "logit effects through the decoders");
            }
        }
    }
}
