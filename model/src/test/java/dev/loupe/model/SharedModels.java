package dev.loupe.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.loupe.model.arch.Architectures;
import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.Checkpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one locator of the shared test fixtures: the real test models in {@code ../shared/models} and the text in
 * {@code ../shared/data}; tests that need them skip when they are absent (a checkout without {@code ../shared}).
 */
public final class SharedModels {
    public static final Path ROOT = Path.of("../shared/models");

    private SharedModels() {}

    /** {@code ../shared/models/name}, or a skipped test if it is not there. */
    public static Path path(String name) {
        Path p = ROOT.resolve(name);
        assumeTrue(Files.exists(p), "test model " + p.toAbsolutePath() + " is absent (a checkout without ../shared); skipping");
        return p;
    }

    /** {@code ../shared/data/name} (e.g. {@code brown.jsonl}), or a skipped test if it is not there. */
    public static Path data(String name) {
        Path p = ROOT.resolveSibling("data").resolve(name);
        assumeTrue(Files.exists(p), "test data " + p.toAbsolutePath() + " is absent (a checkout without ../shared); skipping");
        return p;
    }

    public static HookedTransformer load(String name) {
        try (Checkpoint ckpt = Checkpoints.open(path(name))) {
            return Architectures.build(ckpt);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
