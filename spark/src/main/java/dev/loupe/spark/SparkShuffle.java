package dev.loupe.spark;

import dev.loupe.activations.CorruptStoreException;
import dev.loupe.activations.RowBlock;
import dev.loupe.activations.RowHash;
import dev.loupe.activations.ShardFile;
import dev.loupe.activations.Shuffler;
import dev.loupe.activations.StoreDir;
import dev.loupe.activations.StoreLayout;
import dev.loupe.activations.StoreManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaSparkContext;
import scala.Tuple2;

/**
 * The global shuffle on Spark: each source shard's rows get independent uniformly random 64-bit keys
 * (seeded per shard, so a retried task draws the same keys); Spark's shuffle hash-partitions them by key
 * and sorts each partition by key (spilling to disk as it needs), which is a uniform random order; each
 * partition then writes its rows as shards of the source's shard size, named after the partition and the
 * partition count. Output is deterministic given the seed and the partition count, so a retried task (a lost
 * executor) rewrites identical files. The driver commits each partition's shards as its task finishes
 * ({@link ShardJob}); a rerun after the whole job was killed skips committed partitions (and keeps the
 * partition count the first run chose). It then checks that the output's row digest equals the source's
 * and writes the same manifest format as {@code loupe shuffle}.
 */
public final class SparkShuffle {
    private static final Pattern NAME = Pattern.compile("shard-(\\d+)-of-(\\d+)-\\d+\\.safetensors");

    private SparkShuffle() {}

    public static StoreManifest run(JavaSparkContext sc, Path in, Path out, long seed, int partitions) throws IOException {
        StoreManifest src = StoreManifest.read(in);
        if (!src.complete()) throw new IllegalArgumentException(in + " is not a complete store");
        StoreLayout layout = src.layout();
        int outRows = Math.max(1, src.shardRows());
        StoreManifest template = new StoreManifest(ShardFile.FORMAT, StoreManifest.SHUFFLED, src.model(), src.hooks(), src.dtype(), src.context(),
                outRows, 0, RowHash.hex(0), false, List.of(), src.dataset(), null,
                new StoreManifest.Source(in.toString(), src.rows(), src.digest()), seed);
        StoreManifest begun = StoreDir.begin(out, template, Shuffler::differs);
        if (begun.complete()) return begun;
        Set<Integer> done = new HashSet<>();
        int parts = partitions;
        for (StoreManifest.Shard s : begun.shards()) {
            Matcher mt = NAME.matcher(s.file());
            if (!mt.matches()) throw new IllegalArgumentException(out + " is a partial shuffle begun by loupe shuffle; resume it with that command");
            done.add(Integer.parseInt(mt.group(1)));
            parts = Integer.parseInt(mt.group(2)); // a resumed run must partition as the first one did
        }
        final int total = parts;

        // Closures capture strings (Path is not serializable), absolute: executors run in their own work folders.
        String inDir = in.toAbsolutePath().toString(), outDir = out.toAbsolutePath().toString();
        List<ShardResult> sources = src.shards().stream().map(ShardResult::of).toList();
        List<Integer> idx = IntStream.range(0, sources.size()).boxed().toList();
        var sorted = sc.parallelize(idx, Math.max(1, idx.size()))
                .flatMapToPair(i -> keyedRows(Path.of(inDir), layout, sources.get(i), seed, i))
                .repartitionAndSortWithinPartitions(new HashPartitioner(total))
                .values();
        List<Integer> todo = IntStream.range(0, total).filter(p -> !done.contains(p)).boxed().toList();
        StoreManifest[] state = {begun};
        ShardJob.run(sorted, todo, (p, rows) -> {
            List<ShardResult> mine = new ArrayList<>();
            RowBlock block = new RowBlock(layout, outRows);
            int k = 0;
            while (rows.hasNext()) {
                block.appendRecord(rows.next(), 0);
                if (block.full() || !rows.hasNext()) {
                    String name = String.format("shard-%05d-of-%05d-%05d.safetensors", p, total, k++);
                    mine.add(ShardResult.of(ShardFile.write(Path.of(outDir).resolve(name), block)));
                    block.clear();
                }
            }
            return mine;
        }, (p, written) -> {
            StoreManifest m = state[0];
            for (ShardResult r : written) m = m.withShard(r.shard(), null);
            m.write(out);
            state[0] = m;
        });
        StoreManifest m = state[0].sortedShards();
        if (m.rows() != src.rows() || !m.digest().equals(src.digest())) {
            throw new CorruptStoreException("Spark shuffle wrote " + m.rows() + " rows with digest " + m.digest() + " but " + in + " has "
                    + src.rows() + " with digest " + src.digest());
        }
        m = m.completed();
        m.write(out);
        return m;
    }

    /** A source shard's rows as (random key, row record), its digest checked against the manifest. */
    private static Iterator<Tuple2<Long, byte[]>> keyedRows(Path in, StoreLayout layout, ShardResult shard, long seed, int index) throws IOException {
        RowBlock block = new RowBlock(layout, shard.rows());
        try (ShardFile f = ShardFile.open(in.resolve(shard.file()), layout)) {
            if (f.rows() != shard.rows()) throw new CorruptStoreException(f.path() + " has " + f.rows() + " rows but the manifest says " + shard.rows());
            f.read(0, f.rows(), block);
        }
        if (!RowHash.hex(block.digest()).equals(shard.digest())) throw new CorruptStoreException(in.resolve(shard.file()) + ": rows do not match the manifest's digest");
        SplittableRandom rng = new SplittableRandom(RowHash.finish(seed * 0x9E3779B97F4A7C15L + index));
        int rowBytes = layout.rowBytes();
        List<Tuple2<Long, byte[]>> out = new ArrayList<>(block.rows());
        for (int r = 0; r < block.rows(); r++) {
            byte[] rec = new byte[rowBytes];
            block.toRecord(r, rec, 0);
            out.add(new Tuple2<>(rng.nextLong(), rec));
        }
        return out.iterator();
    }
}
