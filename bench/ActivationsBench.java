// Benchmarks of the activation pipeline, run by bench/run-activations.sh with Loupe's classpath (Spark: bench/run-spark.sh).
// Modes:
//   collect MODEL TOKENIZER DATASET HOOK CONTEXT BATCH TOKENS OUT   plain forward vs collect, same batches, one JVM
//   synthetic DIR MIB D                                            writes a synthetic store of about MIB MiB
import dev.loupe.activations.*;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.format.DType;
import dev.loupe.model.hooks.Hooks;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public class ActivationsBench {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    public static void main(String[] a) throws Exception {
        switch (a[0]) {
            case "collect" -> collect(a);
            case "synthetic" -> synthetic(Path.of(a[1]), Long.parseLong(a[2]), Integer.parseInt(a[3]));
            default -> throw new IllegalArgumentException(a[0]);
        }
    }

    static void collect(String[] a) throws Exception {
        LoadedModel m = ModelLoader.load(a[1], a[2].equals("-") ? null : Path.of(a[2]));
        Path data = Path.of(a[3]);
        String hook = a[4];
        int context = Integer.parseInt(a[5]), batch = Integer.parseInt(a[6]);
        long tokens = Long.parseLong(a[7]);
        HookSelection sel = HookSelection.resolve(m.transformer(), List.of(hook));
        List<int[][]> batches = new ArrayList<>();
        try (DocumentSource docs = DocumentSource.open(data, "text")) {
            Packer p = new Packer(docs, m.requireTokenizer(), context, null);
            for (long done = 0; done < tokens; done += (long) batch * context) {
                int[][] b = new int[batch][context];
                int[] doc = new int[context], pos = new int[context];
                for (int i = 0; i < batch; i++) if (!p.next(b[i], doc, pos, 0)) throw new IllegalStateException("dataset too small");
                batches.add(b);
            }
        }
        ForwardOptions opt = new ForwardOptions(sel.stopAfterLayer(), false);
        for (int i = 0; i < 3; i++) m.transformer().forward(batches.get(i % batches.size()), Hooks.none(m.transformer().hooks()), null, opt);
        for (int rep = 0; rep < 2; rep++) {
            long t0 = System.nanoTime();
            for (int[][] b : batches) m.transformer().forward(b, Hooks.none(m.transformer().hooks()), null, opt);
            double fwd = batches.size() * (double) batch * context / ((System.nanoTime() - t0) / 1e9);
            Path out = Path.of(a[8] + "-" + rep);
            long t1 = System.nanoTime();
            StoreManifest man = new Collection(data, "text", List.of(hook), context, out, tokens, DType.F32, batch, 64L << 20).run(m, QUIET);
            double col = man.rows() / ((System.nanoTime() - t1) / 1e9);
            System.out.printf("rep %d: plain forward (stop after layer %d) %.0f tok/s; collect %.0f tok/s (%d rows, incl. dataset scan); ratio %.1f%%%n",
                    rep, sel.stopAfterLayer(), fwd, col, man.rows(), 100 * col / fwd);
        }
    }

    static void synthetic(Path dir, long mib, int d) throws Exception {
        List<StoreManifest.Hook> hooks = List.of(new StoreManifest.Hook("blocks.5.hook_resid_post", d));
        StoreLayout layout = StoreLayout.of(hooks, DType.F32);
        int shardRows = (int) ((64L << 20) / layout.rowBytes());
        long rows = (mib << 20) / layout.rowBytes();
        StoreManifest m = new StoreManifest(ShardFile.FORMAT, StoreManifest.COLLECTED, "synthetic", hooks, "f32", 128, shardRows, 0,
                RowHash.hex(0), false, List.of(), null, null, null, null);
        RowBlock block = new RowBlock(layout, shardRows);
        java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
        float[] x = new float[shardRows * d];
        for (long row = 0, s = 0; row < rows; s++) {
            int n = (int) Math.min(shardRows, rows - row);
            block.clear();
            for (int i = 0; i < n * d; i++) x[i] = (float) rng.nextGaussian();
            FloatCodec.encode(DType.F32, x, 0, n * d, block.column(0), 0);
            for (int r = 0; r < n; r++) {
                IntCodec.putInt(block.column(1), 4 * r, r % 50257);
                IntCodec.putLong(block.column(4), 8 * r, row + r);
            }
            block.rows(n);
            m = m.withShard(ShardFile.write(dir.resolve(StoreManifest.shardName((int) s)), block), null);
            row += n;
        }
        m.completed().write(dir);
        System.out.printf("synthetic store: %d rows, %d MiB%n", rows, rows * layout.rowBytes() >> 20);
    }
}
