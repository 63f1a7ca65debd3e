package dev.loupe.activations;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.format.DType;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.model.hooks.Hooks;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs the model over packed contexts and writes the hooks' activations as shards. Contexts are batched
 * deterministically (batches never straddle a shard), the forward stops after the last block a hook needs,
 * and a writer thread encodes and writes shards behind a bounded queue so disk I/O overlaps the next
 * forward passes. Shard {@code i} holds rows {@code [i·shardRows, (i+1)·shardRows)} of the whole store,
 * which lets a resumed run or a Spark task write any range of shards independently.
 */
public final class Collector {
    /** Receives each finished shard with the dataset position just after it (the commit point). */
    @FunctionalInterface
    public interface ShardSink {
        void committed(StoreManifest.Shard shard, StoreManifest.Cursor next) throws IOException;
    }

    /** Told after every batch how many tokens this run has processed. */
    @FunctionalInterface
    public interface Listener {
        void tokens(long done, Packer packer);
    }

    private record Batch(Tensor[] acts, int[] tokens, int[] doc, int[] pos, long firstRow, int rows, StoreManifest.Cursor after) {}

    private static final Batch END = new Batch(null, null, null, null, 0, 0, null);

    private final HookedTransformer model;
    private final HookSelection hooks;
    private final StoreLayout layout;
    private final DType dtype;
    private final int context;
    private final int batch;
    private final int shardRows;

    public Collector(HookedTransformer model, HookSelection hooks, DType dtype, int context, int batch, int shardRows) {
        if (context < 1 || context > model.config().nCtx()) {
            throw new IllegalArgumentException("--context " + context + " must be between 1 and the model's n_ctx " + model.config().nCtx());
        }
        if (batch < 1) throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        if (shardRows < context || shardRows % context != 0) {
            throw new IllegalArgumentException("shard rows " + shardRows + " must be a positive multiple of the context " + context);
        }
        this.model = model;
        this.hooks = hooks;
        this.dtype = dtype;
        this.layout = StoreLayout.of(hooks.hooks(), dtype);
        this.context = context;
        this.batch = batch;
        this.shardRows = shardRows;
    }

    public StoreLayout layout() {
        return layout;
    }

    /**
     * Collects contexts {@code [firstContext, endContext)} (stopping early when the packer runs out) into
     * shards in {@code dir}. {@code firstContext} must start a shard. Returns the number of contexts done.
     */
    public long run(Packer packer, long firstContext, long endContext, Path dir, ShardSink sink, Listener listener)
            throws IOException, InterruptedException {
        int perShard = shardRows / context;
        if (firstContext % perShard != 0) throw new IllegalArgumentException("first context " + firstContext + " does not start a shard");
        BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(2);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().name("loupe-shard-writer").daemon().start(() -> {
            try {
                write(queue, dir, (int) (firstContext / perShard), sink);
            } catch (Throwable t) {
                failure.set(t);
                queue.clear();
            }
        });
        long c = firstContext;
        try {
            while (c < endContext) {
                int inShard = (int) (c % perShard);
                int n = (int) Math.min(Math.min(batch, perShard - inShard), endContext - c);
                int[] tokens = new int[n * context], doc = new int[n * context], pos = new int[n * context];
                int got = 0;
                while (got < n && packer.next(tokens, doc, pos, got * context)) got++;
                if (got > 0) {
                    Tensor[] acts = forward(tokens, got);
                    put(queue, new Batch(acts, tokens, doc, pos, c * context, got * context, packer.cursor()), failure);
                    c += got;
                    if (listener != null) listener.tokens((c - firstContext) * context, packer);
                }
                if (got < n) break;
            }
            put(queue, END, failure);
            writer.join();
        } finally {
            writer.interrupt();
        }
        rethrow(failure.get());
        return c - firstContext;
    }

    /** The hooks' activations for {@code n} contexts, each [n, context, ...]. */
    Tensor[] forward(int[] flat, int n) {
        int[][] tokens = new int[n][];
        for (int i = 0; i < n; i++) tokens[i] = java.util.Arrays.copyOfRange(flat, i * context, (i + 1) * context);
        Tensor[] acts = new Tensor[hooks.specs().size()];
        Hooks.Builder b = Hooks.builder(model.hooks());
        for (int h = 0; h < acts.length; h++) {
            int slot = h;
            HookSpec spec = hooks.specs().get(h);
            b.add(spec, (x, ctx) -> {
                acts[slot] = x.copy();
                return x;
            });
        }
        model.forward(tokens, b.build(), null, new ForwardOptions(hooks.stopAfterLayer(), false));
        return acts;
    }

    private void write(BlockingQueue<Batch> queue, Path dir, int shardIndex, ShardSink sink) throws IOException, InterruptedException {
        RowBlock block = new RowBlock(layout, shardRows);
        StoreManifest.Cursor after = null;
        int nh = hooks.hooks().size();
        for (Batch b; (b = queue.take()) != END; ) {
            int at = block.rows();
            for (int h = 0; h < nh; h++) {
                int d = layout.get(h).width();
                FloatCodec.encode(dtype, b.acts()[h].data(), 0, b.rows() * d, block.column(h), at * layout.get(h).rowBytes());
            }
            for (int r = 0; r < b.rows(); r++) {
                IntCodec.putInt(block.column(nh), (at + r) * 4, b.tokens()[r]);
                IntCodec.putInt(block.column(nh + 1), (at + r) * 4, b.doc()[r]);
                IntCodec.putInt(block.column(nh + 2), (at + r) * 4, b.pos()[r]);
                IntCodec.putLong(block.column(nh + 3), (at + r) * 8, b.firstRow() + r);
            }
            block.rows(at + b.rows());
            after = b.after();
            if (block.full()) {
                sink.committed(ShardFile.write(dir.resolve(StoreManifest.shardName(shardIndex++)), block), after);
                block.clear();
            }
        }
        if (block.rows() > 0) sink.committed(ShardFile.write(dir.resolve(StoreManifest.shardName(shardIndex)), block), after);
    }

    private static void put(BlockingQueue<Batch> queue, Batch b, AtomicReference<Throwable> failure) throws IOException, InterruptedException {
        while (!queue.offer(b, 100, TimeUnit.MILLISECONDS)) rethrow(failure.get());
        rethrow(failure.get());
    }

    private static void rethrow(Throwable t) throws IOException {
        switch (t) {
            case null -> {}
            case IOException e -> throw e;
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new IOException(t);
        }
    }
}
