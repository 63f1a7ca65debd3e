package dev.loupe.model.tokenizer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared test models and data; skips the test when they are absent. */
final class SharedFiles {
    private SharedFiles() {}

    static Path require(String relative) {
        Path p = Path.of("../shared").resolve(relative);
        assumeTrue(Files.exists(p), () -> "skipped: shared test file " + p.toAbsolutePath()
                + " is absent (only in checkouts with ../shared)");
        return p;
    }
}
