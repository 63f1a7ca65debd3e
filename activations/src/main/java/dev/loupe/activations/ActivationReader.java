package dev.loupe.activations;

import dev.loupe.core.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Streams a store as batches of rows for training (e.g. an SAE): {@code epochs} passes over the shards, in
 * manifest order or, with a seed, in a fresh random shard order each epoch; batches may span shards but not
 * epochs (an epoch's last batch may be short). A background thread reads and decodes up to {@code prefetch} batches
 * ahead. Iterate once; close to stop the reader early.
 *
 * <pre>{@code
 * try (var r = ActivationReader.open(dir, new ActivationReader.Options(4096, 2, 7L, 4))) {
 *     for (ActivationReader.Batch b : r) train(b.activations("blocks.3.hook_resid_post"));
 * }
 * }</pre>
 */
public final class ActivationReader implements Iterable<ActivationReader.Batch>, AutoCloseable {
    /**
     * @param batchSize rows per batch
     * @param epochs passes over the store
     * @param shardOrderSeed reshuffle the shard order every epoch with this seed, or null to keep manifest order
     * @param prefetch batches decoded ahead on the background thread
     */
    public record Options(int batchSize, int epochs, Long shardOrderSeed, int prefetch) {
        public Options {
            if (batchSize < 1 || epochs < 1 || prefetch < 1) throw new IllegalArgumentException("batchSize, epochs and prefetch must be positive");
        }
    }

    /**
     * One batch: each hook's activations as a [n, d] tensor (same order as the manifest's hooks) and each
     * row's token id, document index, position in the document and row id.
     */
    public record Batch(int epoch, List<String> hooks, List<Tensor> acts, int[] tokens, int[] doc, int[] pos, long[] row) {
        public int rows() {
            return tokens.length;
        }

        /** The activations of {@code hook}, [rows, d]. */
        public Tensor activations(String hook) {
            int i = hooks.indexOf(hook);
            if (i < 0) throw new IllegalArgumentException("store has no hook '" + hook + "'; it holds " + hooks);
            return acts.get(i);
        }
    }

    private static final Batch END = new Batch(-1, List.of(), List.of(), new int[0], new int[0], new int[0], new long[0]);

    private final Path dir;
    private final StoreManifest manifest;
    private final Options opt;
    private final BlockingQueue<Object> queue;
    private final Set<String> verified = new HashSet<>();
    private Thread thread;

    private ActivationReader(Path dir, StoreManifest manifest, Options opt) {
        this.dir = dir;
        this.manifest = manifest;
        this.opt = opt;
        this.queue = new ArrayBlockingQueue<>(opt.prefetch());
    }

    public static ActivationReader open(Path dir, Options opt) throws IOException {
        StoreManifest m = StoreManifest.read(dir);
        if (!m.complete()) throw new IllegalArgumentException(dir + " is an incomplete store; finish its collect/shuffle first");
        return new ActivationReader(dir, m, opt);
    }

    public StoreManifest manifest() {
        return manifest;
    }

    @Override
    public synchronized Iterator<Batch> iterator() {
        if (thread != null) throw new IllegalStateException("an ActivationReader can be iterated once");
        thread = Thread.ofPlatform().name("loupe-activation-reader").daemon().start(this::produce);
        return new Iterator<>() {
            private Batch next;

            @Override
            public boolean hasNext() {
                if (next == null) next = take();
                return next != END;
            }

            @Override
            public Batch next() {
                if (!hasNext()) throw new NoSuchElementException();
                Batch b = next;
                next = null;
                return b;
            }
        };
    }

    private Batch take() {
        Object o;
        try {
            o = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for activations", e);
        }
        if (o instanceof IOException e) throw new UncheckedIOException(e);
        if (o instanceof RuntimeException e) throw e;
        if (o instanceof Throwable t) throw new IllegalStateException(t);
        return (Batch) o;
    }

    private void produce() {
        try {
            StoreLayout layout = manifest.layout();
            RowBlock pending = new RowBlock(layout, opt.batchSize());
            Random order = opt.shardOrderSeed() == null ? null : new Random(opt.shardOrderSeed());
            for (int epoch = 0; epoch < opt.epochs(); epoch++) {
                List<StoreManifest.Shard> shards = new ArrayList<>(manifest.shards());
                if (order != null) Collections.shuffle(shards, order);
                for (StoreManifest.Shard sh : shards) {
                    try (ShardFile f = ShardFile.open(dir.resolve(sh.file()), layout)) {
                        if (verified.add(sh.file())) check(f, sh, layout);
                        for (int at = 0; at < f.rows(); ) {
                            int n = Math.min(f.rows() - at, pending.capacity() - pending.rows());
                            f.read(at, n, pending);
                            at += n;
                            if (pending.full()) emit(pending, epoch);
                        }
                    }
                }
                if (pending.rows() > 0) emit(pending, epoch);
            }
            queue.put(END);
        } catch (InterruptedException e) {
            // closed early
        } catch (Throwable t) {
            try {
                queue.put(t);
            } catch (InterruptedException ignored) {
                // closed early
            }
        }
    }

    /**
     * A shard's rows must be the rows its manifest recorded before any of them is handed out: one pass of the row
     * hash over the shard (the file then sits in the page cache for the read that follows), once per shard per
     * reader. One flipped float stops the reader naming the shard, instead of training on it.
     */
    private static void check(ShardFile f, StoreManifest.Shard sh, StoreLayout layout) throws IOException {
        if (f.rows() != sh.rows()) throw new CorruptStoreException(f.path() + ": holds " + f.rows() + " rows but the manifest says " + sh.rows());
        String digest = RowHash.hex(Verifier.digest(f, layout));
        if (!digest.equals(sh.digest())) {
            throw new CorruptStoreException(f.path() + ": row digest " + digest + " does not match the manifest's " + sh.digest()
                    + "; the shard is corrupt (loupe verify checks the whole store)");
        }
    }

    private void emit(RowBlock block, int epoch) throws InterruptedException {
        queue.put(decode(block, epoch, manifest.hooks()));
        block.clear();
    }

    /** Decodes a block's rows into a batch. */
    static Batch decode(RowBlock block, int epoch, List<StoreManifest.Hook> hooks) {
        StoreLayout layout = block.layout();
        int n = block.rows(), nh = hooks.size();
        List<Tensor> acts = new ArrayList<>(nh);
        for (int h = 0; h < nh; h++) {
            Column c = layout.get(h);
            float[] x = new float[n * c.width()];
            FloatCodec.decode(c.dtype(), block.column(h), 0, x.length, x, 0);
            acts.add(Tensor.of(x, n, c.width()));
        }
        int[] tokens = new int[n], doc = new int[n], pos = new int[n];
        long[] row = new long[n];
        for (int r = 0; r < n; r++) {
            tokens[r] = IntCodec.getInt(block.column(nh), 4 * r);
            doc[r] = IntCodec.getInt(block.column(nh + 1), 4 * r);
            pos[r] = IntCodec.getInt(block.column(nh + 2), 4 * r);
            row[r] = IntCodec.getLong(block.column(nh + 3), 8 * r);
        }
        return new Batch(epoch, hooks.stream().map(StoreManifest.Hook::name).toList(), acts, tokens, doc, pos, row);
    }

    @Override
    public void close() {
        if (thread != null) thread.interrupt();
    }
}
