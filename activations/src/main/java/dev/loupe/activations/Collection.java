package dev.loupe.activations;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ProgressBar;
import dev.loupe.model.format.DType;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * {@code loupe collect}: a resumable collection into a store folder. The manifest, rewritten atomically
 * after every shard, is the commit point; re-running the same collection after a crash (even kill -9)
 * deletes whatever was written after the last commit and continues from the recorded dataset cursor, so
 * no row is lost or duplicated. A different collection into the same folder is refused.
 *
 * @param maxTokens stop after this many tokens (rounded down to whole contexts); -1 for the whole dataset
 * @param shardBytes target shard size in bytes; shards hold a whole number of contexts
 */
public record Collection(Path dataset, String textField, List<String> hooks, int context, Path out, long maxTokens, DType dtype,
        int batch, long shardBytes) {

    /** The hooks this collection records, resolved against {@code model} (a clear error for unknown ones). */
    public HookSelection hookSelection(LoadedModel model) {
        return HookSelection.resolve(model.transformer(), hooks);
    }

    /** Rows per shard: the most whole contexts that fit {@code shardBytes} (at least one). */
    public int shardRows(StoreLayout layout) {
        long perShard = Math.max(1, Math.min(Integer.MAX_VALUE / context, shardBytes / ((long) layout.rowBytes() * context)));
        return (int) perShard * context;
    }

    /** The manifest of this collection before any shard is written. */
    public StoreManifest freshManifest(LoadedModel model, HookSelection sel, String fingerprint) {
        StoreLayout layout = StoreLayout.of(sel.hooks(), dtype);
        StoreManifest.Dataset ds = new StoreManifest.Dataset(dataset.toString(), fingerprint, textField, Packer.DESCRIPTION, maxTokens, batch);
        return new StoreManifest(ShardFile.FORMAT, StoreManifest.COLLECTED, model.source().toString(), sel.hooks(),
                dtype.name().toLowerCase(java.util.Locale.ROOT), context, shardRows(layout), 0, RowHash.hex(0), false, List.of(), ds,
                new StoreManifest.Cursor(0, 0), null, null);
    }

    /** Contexts to collect at most: {@code maxTokens / context}, or unbounded. */
    public long endContext() {
        return maxTokens < 0 ? Long.MAX_VALUE : maxTokens / context;
    }

    /** Runs (or resumes) the collection; returns the complete manifest. */
    public StoreManifest run(LoadedModel model, PrintStream log) throws IOException, InterruptedException {
        HookSelection sel = hookSelection(model);
        model.requireTokenizer();
        try (DocumentSource docs = DocumentSource.open(dataset, textField)) {
            StoreManifest fresh = freshManifest(model, sel, docs.scan());
            Collector collector = new Collector(model.transformer(), sel, dtype, context, batch, fresh.shardRows());
            StoreManifest m = StoreDir.begin(out, fresh, Collection::differs);
            if (m.complete()) {
                log.println("collect: " + out + " is already complete (" + m.rows() + " rows)");
                return m;
            }
            if (m.cursor() == null) {
                throw new IllegalArgumentException(out + " is a partial collection begun on Spark (its committed shards need not be contiguous); "
                        + "resume it with loupe spark collect");
            }
            if (m.rows() > 0) log.println("collect: resuming " + out + " after " + m.shards().size() + " shards (" + m.rows() + " rows)");
            StoreManifest[] state = {m};
            Packer packer = new Packer(docs, model.requireTokenizer(), context, m.cursor());
            ProgressBar bar = new ProgressBar("collect", "tok", m.rows(), log);
            long total = maxTokens;
            long firstContext = m.rows() / context;
            collector.run(packer, firstContext, endContext(), out, (shard, next) -> {
                StoreManifest u = state[0].withShard(shard, next);
                if (shard.rows() < u.shardRows()) u = u.completed();
                u.write(out);
                state[0] = u;
            }, (done, p) -> {
                double frac = total > 0 ? (double) (firstContext * context + done) / total : (double) p.bytesDone() / docs.totalBytes();
                bar.update(firstContext * context + done, frac);
            });
            bar.finish();
            StoreManifest done = state[0].complete() ? state[0] : state[0].completed();
            done.write(out);
            if (done.rows() == 0) log.println("collect: warning: the dataset holds fewer than " + context + " tokens; the store is empty");
            return done;
        }
    }

    /** A resumed store must come from the identical collection: the first field that differs, or null. */
    public static String differs(StoreManifest a, StoreManifest b) {
        if (!Objects.equals(a.kind(), b.kind())) return "kind";
        if (!Objects.equals(a.model(), b.model())) return "model";
        if (!a.hooks().equals(b.hooks())) return "hooks";
        if (!Objects.equals(a.dtype(), b.dtype())) return "dtype";
        if (a.context() != b.context()) return "context";
        if (a.shardRows() != b.shardRows()) return "shardRows";
        if (!Objects.equals(a.dataset(), b.dataset())) return "dataset (path, fingerprint, text field, max tokens or batch)";
        return null;
    }
}
