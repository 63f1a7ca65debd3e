package dev.loupe.model.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A rerun's write cleans the temporaries a killed writer of the same file left, and only those (issue 15, item 6). */
class AtomicFileTest {
    @TempDir
    Path tmp;

    @Test
    void temporariesOfAKilledWriterAreCleanedByTheNextWrite() throws Exception {
        Path db = tmp.resolve("features.db");
        Path stale = tmp.resolve(".features.db.8812739.tmp"), journal = tmp.resolve(".features.db.8812739.tmp-journal");
        Path otherTarget = tmp.resolve(".features.db.bak.123.tmp"), unrelated = tmp.resolve("notes.tmp");
        for (Path p : new Path[] {stale, journal, otherTarget, unrelated}) Files.writeString(p, "left by a killed run");
        Path fresh = AtomicFile.temporary(db);
        assertFalse(Files.exists(stale));
        assertFalse(Files.exists(journal));
        assertTrue(Files.exists(otherTarget), "another file's temporary is not touched");
        assertTrue(Files.exists(unrelated));
        assertTrue(fresh.getFileName().toString().matches("\\.features\\.db\\.\\d+\\.tmp"), fresh.toString());
        Files.delete(fresh);

        Files.writeString(stale, "again");
        AtomicFile.write(db, ch -> ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3})));
        assertFalse(Files.exists(stale));
        assertEquals(3, Files.size(db));
        try (var s = Files.list(tmp)) {
            assertEquals(0, s.filter(p -> p.getFileName().toString().startsWith(".features.db.") && !p.equals(otherTarget)).count());
        }
    }
}
