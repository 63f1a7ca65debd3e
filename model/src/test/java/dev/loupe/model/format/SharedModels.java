package dev.loupe.model.format;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The read-only real models of {@code ../shared/models}; tests skip when a checkout has none. */
final class SharedModels {
    static final Path ROOT = Path.of("../shared/models");

    private SharedModels() {}

    /** {@code ../shared/models/relative}, or skips the test with a message saying what is missing. */
    static Path require(String relative) {
        Path p = ROOT.resolve(relative);
        assumeTrue(Files.exists(p), () -> "skipped: " + p.toAbsolutePath() + " is absent (shared test models not available)");
        return p;
    }
}
