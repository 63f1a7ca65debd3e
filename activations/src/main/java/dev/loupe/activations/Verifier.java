package dev.loupe.activations;

import dev.loupe.model.ProgressBar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a store against its manifest: every shard present with the recorded SHA-256, header and row count;
 * each shard's row digest recomputed from its rows; totals; and, for a shuffled store, that it holds exactly
 * the rows of its source (equal row count and order-independent digest, also checked against the source's
 * own manifest when that folder is still there).
 */
public final class Verifier {
    private Verifier() {}

    /** What is wrong with the store at {@code dir}; empty when it verifies. */
    public static List<String> verify(Path dir) throws IOException {
        return verify(dir, ProgressBar.silent());
    }

    /** As {@link #verify(Path)}, showing the rows checked after each shard. */
    public static List<String> verify(Path dir, ProgressBar progress) throws IOException {
        List<String> problems = new ArrayList<>();
        StoreManifest m;
        try {
            m = StoreManifest.read(dir);
        } catch (CorruptStoreException e) {
            return List.of(e.getMessage());
        }
        if (!m.complete()) problems.add(dir + ": the store is incomplete (its job was interrupted; rerun the same command to finish it)");
        StoreLayout layout = m.layout();
        long rows = 0;
        for (StoreManifest.Shard sh : m.shards()) {
            rows += sh.rows();
            Path file = dir.resolve(sh.file());
            if (!Files.isRegularFile(file)) {
                problems.add(file + ": shard listed in the manifest is missing");
                continue;
            }
            String sha = ShardFile.sha256(file);
            if (!sha.equals(sh.sha256())) problems.add(file + ": SHA-256 " + sha + " does not match the manifest's " + sh.sha256());
            try (ShardFile f = ShardFile.open(file, layout)) {
                if (f.rows() != sh.rows()) {
                    problems.add(file + ": holds " + f.rows() + " rows but the manifest says " + sh.rows());
                    continue;
                }
                String digest = RowHash.hex(digest(f, layout));
                if (!digest.equals(sh.digest())) problems.add(file + ": row digest " + digest + " does not match the manifest's " + sh.digest());
            } catch (CorruptStoreException e) {
                problems.add(e.getMessage());
            }
            progress.update(rows, m.rows() == 0 ? 1 : (double) rows / m.rows());
        }
        progress.finish();
        if (rows != m.rows()) problems.add(dir + ": shards hold " + rows + " rows but the manifest says " + m.rows());
        String sum = StoreManifest.sumDigests(m.shards());
        if (!sum.equals(m.digest())) problems.add(dir + ": shard digests sum to " + sum + " but the manifest says " + m.digest());
        if (m.source() != null) checkSource(dir, m, problems);
        return problems;
    }

    private static void checkSource(Path dir, StoreManifest m, List<String> problems) throws IOException {
        StoreManifest.Source s = m.source();
        if (m.rows() != s.rows() || !m.digest().equals(s.digest())) {
            problems.add(dir + ": holds " + m.rows() + " rows with digest " + m.digest() + " but its source had " + s.rows()
                    + " rows with digest " + s.digest() + " (rows lost, duplicated or changed)");
        }
        Path src = Path.of(s.path());
        if (!Files.isRegularFile(StoreManifest.path(src))) return;
        StoreManifest sm = StoreManifest.read(src);
        if (sm.rows() != s.rows() || !sm.digest().equals(s.digest())) {
            problems.add(dir + ": its source " + src + " now has " + sm.rows() + " rows with digest " + sm.digest()
                    + ", not the " + s.rows() + " rows with digest " + s.digest() + " it was shuffled from");
        }
    }

    /** Sum of the row hashes of a shard, read in blocks. */
    static long digest(ShardFile f, StoreLayout layout) throws IOException {
        RowBlock block = new RowBlock(layout, Math.max(1, Math.min(f.rows(), (8 << 20) / layout.rowBytes())));
        long sum = 0;
        for (int start = 0; start < f.rows(); start += block.capacity()) {
            block.clear();
            f.read(start, Math.min(block.capacity(), f.rows() - start), block);
            sum += block.digest();
        }
        return sum;
    }
}
