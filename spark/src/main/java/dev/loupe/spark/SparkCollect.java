package dev.loupe.spark;

import dev.loupe.activations.Collection;
import dev.loupe.activations.Collector;
import dev.loupe.activations.DocumentSource;
import dev.loupe.activations.HookSelection;
import dev.loupe.activations.Packer;
import dev.loupe.activations.StoreDir;
import dev.loupe.activations.StoreManifest;
import dev.loupe.model.LoadedModel;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Collection on Spark, writing the same store as {@code loupe collect} (same packing, same shard
 * boundaries, same row ids). Stage 1 counts every document's tokens in parallel; the driver turns the counts
 * into the dataset position where each shard's first context starts; stage 2 gives each task a run of whole
 * shards, which it collects with the local {@link Collector} (the model loaded once per executor) straight
 * into the output folder. The driver commits each task's shards to the manifest as the task finishes
 * ({@link ShardJob}), so a rerun after the whole job was killed collects only the shards not yet committed.
 * Until the store is complete its manifest has no dataset cursor (its shards need not be contiguous), which
 * tells {@code loupe collect} not to resume it. The dataset and output folder must be at the same path on
 * every node (a shared file system); the model may be shipped with the job ({@link ModelRef}).
 */
public final class SparkCollect {
    private SparkCollect() {}

    /** Documents [from, to) of the dataset. */
    private record DocRange(long from, long to) implements Serializable {}

    /** Contexts [firstContext, endContext) (whole shards) starting at a dataset position. */
    private record Slice(long firstContext, long endContext, long doc, int offset) implements Serializable {}

    public static StoreManifest run(JavaSparkContext sc, Collection job, ModelRef modelRef, int tasks) throws IOException {
        LoadedModel model = ExecutorModels.get(modelRef.source());
        HookSelection sel = job.hookSelection(model);
        model.requireTokenizer();
        long docs;
        StoreManifest fresh;
        try (DocumentSource source = DocumentSource.open(job.dataset(), job.textField())) {
            fresh = job.freshManifest(model, sel, source.scan());
            docs = source.documents();
        }
        StoreManifest existing = StoreDir.begin(job.out(), fresh, Collection::differs);
        if (existing.complete()) return existing;

        // Stage 1: tokens per document.
        List<DocRange> ranges = new ArrayList<>();
        long step = Math.max(1, (docs + tasks - 1) / tasks);
        for (long d = 0; d < docs; d += step) ranges.add(new DocRange(d, Math.min(docs, d + step)));
        // Closures capture strings (Path is not serializable), absolute: executors run in their own work folders.
        String dataset = job.dataset().toAbsolutePath().toString();
        String field = job.textField();
        List<int[]> counts = sc.parallelize(ranges, Math.max(1, ranges.size())).map(r -> {
            var tok = ExecutorModels.get(modelRef.local()).requireTokenizer();
            int[] n = new int[(int) (r.to() - r.from())];
            try (DocumentSource s = DocumentSource.open(Path.of(dataset), field)) {
                s.skipTo(r.from());
                for (int i = 0; i < n.length; i++) n[i] = Packer.documentTokens(tok, s.next().text()).length;
            }
            return n;
        }).collect();
        long[] start = new long[(int) docs + 1]; // start[d] = stream position of document d's first token
        int d = 0;
        for (int[] c : counts) for (int n : c) start[d + 1] = start[d++] + n;

        // Stage 2: runs of uncommitted shards per task, each starting at a known dataset position.
        int context = job.context(), perShard = fresh.shardRows() / context;
        long contexts = Math.min(start[(int) docs] / context, job.endContext());
        int shards = (int) ((contexts + perShard - 1) / perShard);
        Set<String> committed = new HashSet<>();
        for (StoreManifest.Shard s : existing.shards()) committed.add(s.file());
        long shardsPerTask = Math.max(1, (shards - committed.size() + tasks - 1) / Math.max(1, tasks));
        List<Slice> slices = new ArrayList<>();
        for (int s = 0; s < shards; ) {
            if (committed.contains(StoreManifest.shardName(s))) {
                s++;
                continue;
            }
            int end = s;
            while (end < shards && end - s < shardsPerTask && !committed.contains(StoreManifest.shardName(end))) end++;
            long first = (long) s * perShard;
            int doc = docAt(start, first * context);
            slices.add(new Slice(first, Math.min(contexts, (long) end * perShard), doc, (int) (first * context - start[doc])));
            s = end;
        }
        var dtype = job.dtype();
        int batch = job.batch();
        String out = job.out().toAbsolutePath().toString();
        List<String> hooks = job.hooks();
        StoreManifest[] state = {existing.withoutCursor()};
        state[0].write(job.out());
        ShardJob.run(sc.parallelize(slices, Math.max(1, slices.size())), IntStream.range(0, slices.size()).boxed().toList(), (p, it) -> {
            Slice sl = it.next();
            LoadedModel m = ExecutorModels.get(modelRef.local());
            HookSelection hs = HookSelection.resolve(m.transformer(), hooks);
            Collector collector = new Collector(m.transformer(), hs, dtype, context, batch, perShard * context);
            List<ShardResult> mine = new ArrayList<>();
            try (DocumentSource s = DocumentSource.open(Path.of(dataset), field)) {
                Packer packer = new Packer(s, m.requireTokenizer(), context, new StoreManifest.Cursor(sl.doc(), sl.offset()));
                collector.run(packer, sl.firstContext(), sl.endContext(), Path.of(out), (shard, next) -> mine.add(ShardResult.of(shard)), null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("collection interrupted");
            }
            return mine;
        }, (p, written) -> {
            StoreManifest m = state[0];
            for (ShardResult r : written) m = m.withShard(r.shard(), null);
            m.write(job.out());
            state[0] = m;
        });
        StoreManifest m = state[0].sortedShards().completed();
        m.write(job.out());
        return m;
    }
    /** The document holding stream position {@code t}: the last d with start[d] ≤ t (never an empty one). */
    private static int docAt(long[] start, long t) {
        int lo = 0, hi = start.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (start[mid] <= t) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }
}
