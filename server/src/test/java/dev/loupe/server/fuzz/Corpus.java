package dev.loupe.server.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** The seed inputs of one fuzz target: the files under {@code src/test/resources/fuzz/TARGET/}, kept in the repository. */
record Corpus(List<Seed> seeds) {
    /** One seed file. */
    record Seed(String name, byte[] bytes) {}

    private static final Map<String, Corpus> LOADED = new ConcurrentHashMap<>();

    static Corpus of(String target) {
        return LOADED.computeIfAbsent(target, t -> {
            try (Stream<Path> files = Files.list(Path.of(Corpus.class.getResource("/fuzz/" + t).toURI()))) {
                List<Seed> seeds = files.sorted().map(p -> new Seed(p.getFileName().toString(), read(p))).toList();
                if (seeds.isEmpty()) throw new IllegalStateException("fuzz corpus " + t + " is empty");
                return new Corpus(seeds);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
