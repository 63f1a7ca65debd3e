package dev.loupe.activations;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.model.ProgressBar;
import dev.loupe.model.format.AtomicFile;
import dev.loupe.model.format.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A global, uniform, out-of-core shuffle of a store in two passes. Pass 1 reads the source in blocks and
 * sends every row to one of K buckets on disk chosen uniformly at random (buffered writes); pass 2 loads one
 * bucket at a time, permutes it uniformly in memory, and streams the buckets' rows, in bucket order, into
 * fixed-size output shards. Independent uniform bucket choice plus a uniform permutation within each
 * bucket gives a uniform permutation of the whole store, and memory stays within the {@link ShufflePlan}
 * whatever the store's size.
 *
 * <p>Resumable: pass 1 records, after each source shard, the length of every bucket file (a resumed run
 * truncates them there and carries on with the next shard, drawing the same random buckets, seeded per
 * shard); pass 2 commits the output manifest after each shard and recomputes its position from the row
 * count (buckets are permuted with a per-bucket seed, so the stream is the same). Bucket files are not
 * fsynced: the final check that the output's row digest equals the source's catches any damage.
 */
public final class Shuffler {
    /** Work folder inside the output folder (buckets and pass-1 progress); deleted when done. */
    public static final String WORK_DIR = ".shuffle";
    private static final ObjectMapper JSON = Json.MAPPER;

    /** Pass-1 progress: the plan, source shards scattered, and each bucket file's committed length. */
    record Scatter(ShufflePlan plan, long seed, String sourceDigest, int shardsDone, long[] bucketBytes) {}

    private final Path in;
    private final Path out;
    private final long memory;
    private final long seed;
    private final PrintStream log;

    public Shuffler(Path in, Path out, long memory, long seed, PrintStream log) {
        this.in = in;
        this.out = out;
        this.memory = memory;
        this.seed = seed;
        this.log = log;
    }

    /** Runs or resumes the shuffle; returns the output's complete manifest. */
    public StoreManifest run() throws IOException {
        StoreManifest src = StoreManifest.read(in);
        if (!src.complete()) throw new IllegalArgumentException(in + " is not a complete store (its collection has not finished)");
        if (in.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) throw new IllegalArgumentException("--in and --out must differ");
        StoreLayout layout = src.layout();
        int rowBytes = layout.rowBytes();
        ShufflePlan fresh = ShufflePlan.of(src.rows(), rowBytes, src.shardRows(), memory);
        StoreManifest template = new StoreManifest(ShardFile.FORMAT, StoreManifest.SHUFFLED, src.model(), src.hooks(), src.dtype(), src.context(),
                fresh.outShardRows(), 0, RowHash.hex(0), false, List.of(), src.dataset(), null,
                new StoreManifest.Source(in.toString(), src.rows(), src.digest()), seed);
        StoreManifest m = StoreDir.begin(out, template, Shuffler::differs);
        if (m.complete()) {
            log.println("shuffle: " + out + " is already complete (" + m.rows() + " rows)");
            return m;
        }
        Path work = out.resolve(WORK_DIR);
        if (!m.shards().isEmpty() && !Files.isDirectory(work)) {
            throw new IllegalArgumentException(out + " is a partial shuffle begun on Spark; resume it with loupe spark shuffle");
        }
        Files.createDirectories(work);
        Scatter sc = readScatter(work);
        if (sc == null) sc = new Scatter(fresh.withOutShardRows(m.shardRows()), seed, src.digest(), 0, new long[fresh.buckets()]);
        if (sc.seed() != seed || !sc.sourceDigest().equals(src.digest())) {
            throw new IllegalArgumentException(work + " belongs to another shuffle (seed or source differs); delete " + out + " and rerun");
        }
        ProgressBar bar = new ProgressBar("shuffle", "rows", 0, log);
        long total = 2 * src.rows();
        try {
            sc = scatter(src, layout, work, sc, bar, total);
        } catch (CorruptStoreException e) {
            StoreDir.discard(out); // the source is bad: resuming cannot help, so leave nothing half-written
            throw e;
        }
        System.gc(); // pass 1's buffers are garbage now: reclaim them before pass 2 allocates, so the heap does not grow by both
        m = gather(m, layout, work, sc, bar, total);
        bar.finish();
        if (!m.digest().equals(src.digest()) || m.rows() != src.rows()) {
            throw new CorruptStoreException("shuffle produced " + m.rows() + " rows with digest " + m.digest() + " but " + in + " has "
                    + src.rows() + " rows with digest " + src.digest() + "; the work files in " + work + " were damaged; delete " + out + " and rerun");
        }
        m = m.completed();
        m.write(out);
        StoreDir.deleteTree(work);
        return m;
    }

    private Scatter scatter(StoreManifest src, StoreLayout layout, Path work, Scatter sc, ProgressBar bar, long total) throws IOException {
        ShufflePlan plan = sc.plan();
        int k = plan.buckets(), recBytes = layout.rowBytes() + 8;
        if (sc.shardsDone() == src.shards().size()) return sc;
        FileChannel[] files = new FileChannel[k];
        try {
            for (int b = 0; b < k; b++) {
                files[b] = FileChannel.open(bucket(work, b), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                if (files[b].size() < sc.bucketBytes()[b]) throw new CorruptStoreException(bucket(work, b) + " is shorter than its committed length; delete " + out + " and rerun");
                files[b].truncate(sc.bucketBytes()[b]);
                files[b].position(sc.bucketBytes()[b]);
            }
            byte[][] bufs = new byte[k][plan.bufferBytes()];
            int[] fill = new int[k];
            RowBlock block = new RowBlock(layout, plan.readRows());
            long[] lengths = sc.bucketBytes().clone();
            long rowsDone = 0;
            for (int i = 0; i < sc.shardsDone(); i++) rowsDone += src.shards().get(i).rows();
            for (int i = sc.shardsDone(); i < src.shards().size(); i++) {
                SplittableRandom rng = new SplittableRandom(mix(seed, 1, i));
                StoreManifest.Shard sh = src.shards().get(i);
                try (ShardFile f = ShardFile.open(in.resolve(sh.file()), layout)) {
                    if (f.rows() != sh.rows()) throw new CorruptStoreException(f.path() + " has " + f.rows() + " rows but the manifest says " + sh.rows());
                    long digest = 0;
                    for (int start = 0; start < f.rows(); start += block.capacity()) {
                        block.clear();
                        f.read(start, Math.min(block.capacity(), f.rows() - start), block);
                        for (int r = 0; r < block.rows(); r++) {
                            int b = rng.nextInt(k);
                            if (fill[b] + recBytes > bufs[b].length) {
                                append(files[b], bucket(work, b), bufs[b], fill[b]);
                                lengths[b] += fill[b];
                                fill[b] = 0;
                            }
                            long h = block.rowHash(r);
                            digest += h;
                            block.toRecord(r, bufs[b], fill[b]);
                            IntCodec.putLong(bufs[b], fill[b] + recBytes - 8, h);
                            fill[b] += recBytes;
                        }
                        rowsDone += block.rows();
                        bar.update(rowsDone, (double) rowsDone / total);
                    }
                    if (!RowHash.hex(digest).equals(sh.digest())) {
                        throw new CorruptStoreException(f.path() + ": its rows' digest " + RowHash.hex(digest) + " does not match the manifest's "
                                + sh.digest() + "; the shard is corrupt (see loupe verify " + in + ")");
                    }
                }
                for (int b = 0; b < k; b++) {
                    append(files[b], bucket(work, b), bufs[b], fill[b]);
                    lengths[b] += fill[b];
                    fill[b] = 0;
                }
                sc = new Scatter(plan, seed, sc.sourceDigest(), i + 1, lengths.clone());
                writeScatter(work, sc);
            }
        } finally {
            for (FileChannel f : files) if (f != null) f.close();
        }
        return sc;
    }

    private StoreManifest gather(StoreManifest m, StoreLayout layout, Path work, Scatter sc, ProgressBar bar, long total) throws IOException {
        int recBytes = layout.rowBytes() + 8, k = sc.plan().buckets();
        long[] counts = new long[k];
        long maxCount = 0, all = 0;
        for (int b = 0; b < k; b++) {
            counts[b] = sc.bucketBytes()[b] / recBytes;
            maxCount = Math.max(maxCount, counts[b]);
            all += counts[b];
        }
        RowBlock outBlock = new RowBlock(layout, m.shardRows());
        byte[] records = new byte[Math.toIntExact(maxCount * recBytes)];
        int[] perm = new int[(int) maxCount];
        long skip = m.rows();
        int shardIndex = m.shards().size();
        long digest = 0; // of the rows in outBlock, which may span buckets
        for (int b = 0; b < k && m.rows() < all; b++) {
            if (skip >= counts[b]) {
                skip -= counts[b];
                continue;
            }
            int n = (int) counts[b];
            try (FileChannel ch = FileChannel.open(bucket(work, b), StandardOpenOption.READ)) {
                ShardFile.readFully(ch, 0, records, 0, n * recBytes);
            }
            SplittableRandom rng = new SplittableRandom(mix(seed, 2, b));
            for (int i = 0; i < n; i++) perm[i] = i;
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            for (int i = (int) skip; i < n; i++) {
                outBlock.appendRecord(records, perm[i] * recBytes);
                digest += IntCodec.getLong(records, perm[i] * recBytes + recBytes - 8);
                if (outBlock.full() || m.rows() + outBlock.rows() == all) {
                    m = m.withShard(ShardFile.write(out.resolve(StoreManifest.shardName(shardIndex++)), outBlock, digest), null);
                    m.write(out);
                    outBlock.clear();
                    digest = 0;
                    bar.update(all + m.rows(), (double) (all + m.rows()) / total);
                }
            }
            skip = 0;
        }
        return m;
    }

    static long mix(long seed, int stream, long i) {
        return RowHash.finish(seed * 0x9E3779B97F4A7C15L + stream * 0xBF58476D1CE4E5B9L + i);
    }

    private static Path bucket(Path work, int b) {
        return work.resolve(String.format("bucket-%05d.bin", b));
    }

    private static Scatter readScatter(Path work) throws IOException {
        Path p = work.resolve("progress.json");
        return Files.isRegularFile(p) ? JSON.readValue(p.toFile(), Scatter.class) : null;
    }

    private static void writeScatter(Path work, Scatter sc) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(sc);
        AtomicFile.write(work.resolve("progress.json"), ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        });
    }

    /** A resumed shuffle must have the same source and seed: the first field that differs, or null. */
    public static String differs(StoreManifest a, StoreManifest b) {
        if (!Objects.equals(a.kind(), b.kind())) return "kind";
        if (!Objects.equals(a.source(), b.source())) return "source";
        if (!Objects.equals(a.seed(), b.seed())) return "seed";
        return null;
    }

    /** Appends to a bucket file; a write error (a full disk) names the file. */
    private static void append(FileChannel ch, Path file, byte[] buf, int len) throws IOException {
        try {
            ShardFile.writeFully(ch, buf, 0, len);
        } catch (IOException e) {
            throw AtomicFile.named(file, e);
        }
    }
}
