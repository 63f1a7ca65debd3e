package dev.loupe.cli;

import dev.loupe.activations.StoreManifest;
import dev.loupe.activations.Verifier;
import dev.loupe.model.ProgressBar;
import java.nio.file.Path;
import java.util.List;

/** {@code loupe verify}: check an activation store's shards and row digest against its manifest. */
final class VerifyCommand implements Command {
    @Override
    public String name() {
        return "verify";
    }

    @Override
    public String summary() {
        return "check an activation store (checksums, row counts, same rows as its source)";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe verify DIR
            Checks every shard's SHA-256, header and row count against manifest.json, recomputes the order-independent
            row digest, and for a shuffled store checks it holds exactly the rows of its source. Exit code 1 on any problem.""";
    }

    @Override
    public int run(String[] argv) throws Exception {
        if (argv.length != 1) throw new Args.UsageException(name() + ": expected one store folder");
        Path dir = Path.of(argv[0]);
        List<String> problems = Verifier.verify(dir, new ProgressBar("verify", "rows", 0, System.err));
        if (!problems.isEmpty()) {
            problems.forEach(p -> System.err.println("verify: " + p));
            return 1;
        }
        StoreManifest m = StoreManifest.read(dir);
        System.out.println("ok: " + dir + " (" + m.kind() + ", " + m.rows() + " rows, " + m.shards().size() + " shards, digest " + m.digest() + ")");
        return 0;
    }
}
