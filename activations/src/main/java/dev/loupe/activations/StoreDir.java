package dev.loupe.activations;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/** Starting or resuming a job that writes a store folder, and cleaning what an interrupted run left. */
public final class StoreDir {
    private StoreDir() {}

    /**
     * Returns the folder's committed manifest when it holds the same job ({@code differs} returns null), or
     * writes {@code fresh} into a new or empty folder. Files written after the last commit (temporaries, shard
     * files the manifest does not list) are deleted, so a resumed run rewrites them from the commit point.
     *
     * @param differs names the first field in which an existing manifest differs from {@code fresh}, or null
     */
    public static StoreManifest begin(Path dir, StoreManifest fresh, BiFunction<StoreManifest, StoreManifest, String> differs)
            throws IOException {
        StoreManifest existing = StoreManifest.readIfPresent(dir);
        if (existing != null) {
            String field = differs.apply(existing, fresh);
            if (field != null) {
                throw new IllegalArgumentException(dir + " already holds a different " + existing.kind() + " store (its " + field
                        + " differs from this run's); choose another output folder or delete it");
            }
            if (!existing.complete()) removeUncommitted(dir, existing.shards());
            return existing;
        }
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                List<Path> other = s.filter(p -> !isOurs(p)).toList();
                if (!other.isEmpty()) {
                    throw new IllegalArgumentException(dir + " is not empty and holds no manifest.json (e.g. " + other.getFirst().getFileName()
                            + "); choose an empty or new output folder");
                }
            }
            removeUncommitted(dir, List.of());
        }
        Files.createDirectories(dir);
        fresh.write(dir);
        return fresh;
    }

    /** Files a store job writes: shards, the manifest, temporaries, the shuffle's work folder. */
    private static boolean isOurs(Path p) {
        String n = p.getFileName().toString();
        return n.startsWith("shard-") || n.equals(StoreManifest.FILE) || n.endsWith(".tmp") || n.equals(Shuffler.WORK_DIR);
    }

    /** Deletes everything a store job wrote in {@code dir} (and the folder itself when that leaves it empty). */
    public static void discard(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(StoreDir::isOurs).toList()) deleteTree(p);
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isEmpty()) Files.delete(dir);
        }
    }

    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /** Deletes temporaries and shard files not listed in {@code committed}. */
    static void removeUncommitted(Path dir, List<StoreManifest.Shard> committed) throws IOException {
        Set<String> keep = new HashSet<>();
        for (StoreManifest.Shard s : committed) keep.add(s.file());
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                boolean stale = n.startsWith(".") && n.endsWith(".tmp") || n.startsWith("shard-") && !keep.contains(n);
                if (stale) Files.delete(p);
            }
        }
    }
}
