package dev.loupe.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import dev.loupe.model.tokenizer.Tokenizers;
import dev.loupe.model.format.SmallDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
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

    /**
     * {@code sae features} killed with SIGKILL while it writes the store (its temporary and SQLite journal on disk):
     * no store appears, and the rerun removes the leftovers and writes a store identical byte for byte to an
     * uninterrupted run's.
     */
    @Test
    void scanKilledWhileWritingIsCleanedByTheRerun() throws Exception {
        int dSae = 1024;
        Path straight = dir.resolve("straight.db");
        FeatureScanChild.scan(straight, dSae);
        Path db = dir.resolve("killed").resolve("features.db");
        Files.createDirectories(db.getParent());
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), FeatureScanChild.class.getName(), db.toString(), Integer.toString(dSae))
                .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        long deadline = System.nanoTime() + 60_000_000_000L;
        // SQLite's journal exists only while the store is being written (the temporary name is briefly free before that)
        while (SmallDisk.leftovers(db.getParent()).stream().noneMatch(f -> f.getFileName().toString().endsWith("-journal"))) {
            assertTrue(p.isAlive(), () -> "the child ended before it could be killed: " + log());
            assertTrue(System.nanoTime() < deadline, "the child opened no store journal within 60 s");
            Thread.sleep(1);
        }
        p.destroyForcibly().waitFor();
        assertFalse(Files.exists(db), "killed while writing: no store yet");
        List<Path> left = SmallDisk.leftovers(db.getParent());
        assertFalse(left.isEmpty(), "the kill left a temporary behind");
        FeatureScanChild.scan(db, dSae);
        assertEquals(List.of(), SmallDisk.leftovers(db.getParent()), "the rerun removed the killed run's temporaries");
        try (Stream<Path> files = Files.list(db.getParent())) {
            assertEquals(List.of(db), files.toList());
        }
        assertArrayEquals(Files.readAllBytes(straight), Files.readAllBytes(db));
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("child.log"));
        } catch (Exception e) {
            return e.toString();
        }
    }
}
