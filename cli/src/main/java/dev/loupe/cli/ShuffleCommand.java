package dev.loupe.cli;

import dev.loupe.activations.Shuffler;
import dev.loupe.activations.StoreManifest;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/** {@code loupe shuffle}: a global out-of-core shuffle of an activation store within a memory budget. */
final class ShuffleCommand implements Command {
    @Override
    public String name() {
        return "shuffle";
    }

    @Override
    public String summary() {
        return "globally shuffle an activation store out of core (resumable)";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe shuffle --in DIR --out DIR --memory SIZE [--seed S]
            Writes a uniformly shuffled copy of the store at --in into --out, holding at most SIZE (e.g. 512M, 4G) of
            rows in memory whatever the store's size: rows are scattered into random buckets on disk (under
            --out/.shuffle), then each bucket is permuted in memory. The JVM's own footprint comes on top of SIZE.
            Interrupted? Rerun the same command to resume. Default seed 0.""";
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0, Set.of("in", "out", "memory", "seed"), Set.of());
        long memory = parseSize(args.require("memory"));
        long seed = Long.parseLong(args.getOr("seed", "0"));
        StoreManifest m = new Shuffler(Path.of(args.require("in")), Path.of(args.require("out")), memory, seed, System.err).run();
        System.err.println("shuffle: " + args.get("out") + " holds " + m.rows() + " rows in " + m.shards().size() + " shards (digest " + m.digest() + ")");
        return 0;
    }

    /** "512M", "4G", "1048576" → bytes. */
    static long parseSize(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT).replaceAll("I?B$", "");
        long mult = switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            case 'T' -> 1L << 40;
            default -> 1;
        };
        try {
            return (long) (Double.parseDouble(mult == 1 ? t : t.substring(0, t.length() - 1)) * mult);
        } catch (NumberFormatException e) {
            throw new Args.UsageException("shuffle: --memory expects a size such as 512M or 4G, got '" + s + "'");
        }
    }
}
