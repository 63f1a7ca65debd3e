package dev.loupe.sae;

import dev.loupe.core.Autograd;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.ProgressBar;
import dev.loupe.model.format.AtomicFile;
import dev.loupe.model.format.Json;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Feature inspection in one streaming pass over text: per latent, how often it fires, a histogram of its
 * activations (log-spaced bins, 10 per decade from 1e-3 to 1e3, plus under/overflow), its top-k activating
 * contexts (a window of tokens with the latent's activation at each, kept in a bounded min-heap), and its
 * top positive and negative logit effects: W_dec[j] through ln_final's learned gain (its frozen scale: the
 * per-token normalisation is left out) and the unembedding W_U. Results go to a SQLite file (see docs/sae.md).
 */
public final class FeatureScan {
    static final int BINS = 60;
    static final double LOG_LO = -3;

    private record Example(float act, int[] tokens, float[] acts, int center) {}

    private FeatureScan() {}

    /**
     * @param topK contexts kept per latent; window tokens each side of the activating one; logits top/bottom tokens per latent
     */
    public static void run(HookedTransformer model, Tokenizer tok, Sae sae, TextContexts texts, int batches, int batchSize, int topK, int window,
                           int logits, Path out) throws IOException {
        run(model, tok, ScanTarget.of(model, sae), texts, batches, batchSize, topK, window, logits, out, ProgressBar.silent());
    }

    /** The same scan of any dictionary (an SAE, or one layer of transcoders: {@link ScanTarget}), showing progress after each batch. */
    public static void run(HookedTransformer model, Tokenizer tok, ScanTarget target, TextContexts texts, int batches, int batchSize, int topK, int window,
                           int logits, Path out, ProgressBar progress) throws IOException {
        HookSpec hook = target.hook();
        int n = target.latents();
        long[] count = new long[n];
        double[] sum = new double[n];
        float[] max = new float[n];
        long[][] hist = new long[n][BINS + 2];
        @SuppressWarnings("unchecked")
        PriorityQueue<Example>[] heaps = new PriorityQueue[n];
        for (int j = 0; j < n; j++) heaps[j] = new PriorityQueue<>((a, b) -> Float.compare(a.act, b.act));
        long tokens = 0;
        int first = texts.hasBos() ? 1 : 0;
        for (int bi = 0; bi < batches; bi++) {
            int[][] ids = texts.next(batchSize);
            int pos = ids[0].length;
            Tensor[] seen = new Tensor[1];
            Hooks hooks = Hooks.builder(model.hooks()).add(hook, (x, ctx) -> {
                seen[0] = x;
                return x;
            }).build();
            Autograd.noGrad(() -> model.forward(ids, hooks, null, LiveModelSource.stopAt(hook)));
            SparseCodes codes = target.encoder().encode(seen[0].data(), batchSize * pos);
            for (int b = 0; b < batchSize; b++) {
                for (int p = first; p < pos; p++) {
                    int r = b * pos + p;
                    tokens++;
                    for (int c = codes.rowStart()[r]; c < codes.rowStart()[r + 1]; c++) {
                        int j = codes.index()[c];
                        float v = codes.value()[c];
                        count[j]++;
                        sum[j] += v;
                        max[j] = Math.max(max[j], v);
                        hist[j][bin(v)]++;
                        PriorityQueue<Example> h = heaps[j];
                        if (h.size() < topK || v > h.peek().act) {
                            if (h.size() == topK) h.poll();
                            h.add(example(codes, ids[b], b * pos, p, j, v, window));
                        }
                    }
                }
            }
            progress.update(tokens, (bi + 1.0) / batches);
        }
        progress.finish();
        write(out, model, tok, target, count, sum, max, hist, heaps, tokens, logits);
    }

    static int bin(float v) {
        if (v <= 0) return 0;
        double b = Math.floor((Math.log10(v) - LOG_LO) * 10);
        return (int) Math.max(0, Math.min(BINS + 1, b + 1));
    }

    private static Example example(SparseCodes codes, int[] ids, int rowBase, int p, int j, float v, int window) {
        int lo = Math.max(0, p - window), hi = Math.min(ids.length, p + window + 1);
        int[] t = java.util.Arrays.copyOfRange(ids, lo, hi);
        float[] a = new float[hi - lo];
        for (int q = lo; q < hi; q++) {
            int r = rowBase + q;
            int at = java.util.Arrays.binarySearch(codes.index(), codes.rowStart()[r], codes.rowStart()[r + 1], j);
            a[q - lo] = at >= 0 ? codes.value()[at] : 0f;
        }
        return new Example(v, t, a, p - lo);
    }

    private static void write(Path out, HookedTransformer model, Tokenizer tok, ScanTarget target, long[] count, double[] sum, float[] max, long[][] hist,
                              PriorityQueue<Example>[] heaps, long tokens, int logits) throws IOException {
        Path abs = out.toAbsolutePath();
        Path tmp = AtomicFile.temporary(abs); // a killed run's temporary and SQLite journal are cleaned here
        Files.delete(tmp);
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + tmp)) {
            db.setAutoCommit(false);
            try (Statement s = db.createStatement()) {
                s.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)");
                s.execute("CREATE TABLE features(id INTEGER PRIMARY KEY, fire_count INTEGER, frequency REAL, mean_act REAL, max_act REAL)");
                s.execute("CREATE TABLE histogram(feature INTEGER, bin INTEGER, lo REAL, hi REAL, count INTEGER, PRIMARY KEY(feature, bin))");
                s.execute("CREATE TABLE examples(feature INTEGER, rank INTEGER, activation REAL, center INTEGER, token_ids TEXT, tokens TEXT, acts TEXT,"
                        + " PRIMARY KEY(feature, rank))");
                s.execute("CREATE TABLE logit_effects(feature INTEGER, sign INTEGER, rank INTEGER, token_id INTEGER, token TEXT, value REAL,"
                        + " PRIMARY KEY(feature, sign, rank))");
            }
            try (PreparedStatement m = db.prepareStatement("INSERT INTO meta VALUES (?, ?)")) {
                String[][] rows = {{"hook_name", target.hook().name()}, {"d_sae", "" + target.latents()}, {"tokens", "" + tokens},
                        {"architecture", target.architecture()}, {"histogram_bins", "log10: bin 0 <= 1e-3, bins 1..60 of 0.1 decade, 61 > 1e3"},
                        {"logit_effects", "W_dec[j] * ln_final gain (frozen scale, no per-token normalisation) @ W_U^T"}};
                for (String[] r : rows) {
                    m.setString(1, r[0]);
                    m.setString(2, r[1]);
                    m.addBatch();
                }
                m.executeBatch();
            }
            try (PreparedStatement f = db.prepareStatement("INSERT INTO features VALUES (?, ?, ?, ?, ?)");
                 PreparedStatement h = db.prepareStatement("INSERT INTO histogram VALUES (?, ?, ?, ?, ?)");
                 PreparedStatement e = db.prepareStatement("INSERT INTO examples VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                for (int j = 0; j < count.length; j++) {
                    f.setInt(1, j);
                    f.setLong(2, count[j]);
                    f.setDouble(3, tokens == 0 ? 0 : count[j] / (double) tokens);
                    f.setDouble(4, count[j] == 0 ? 0 : sum[j] / count[j]);
                    f.setDouble(5, max[j]);
                    f.addBatch();
                    for (int b = 0; b < hist[j].length; b++) {
                        if (hist[j][b] == 0) continue;
                        h.setInt(1, j);
                        h.setInt(2, b);
                        h.setDouble(3, b == 0 ? 0 : Math.pow(10, LOG_LO + (b - 1) / 10.0));
                        h.setDouble(4, b == BINS + 1 ? Double.POSITIVE_INFINITY : Math.pow(10, LOG_LO + b / 10.0));
                        h.setLong(5, hist[j][b]);
                        h.addBatch();
                    }
                    Example[] ex = heaps[j].toArray(new Example[0]);
                    java.util.Arrays.sort(ex, (a, b) -> Float.compare(b.act, a.act));
                    for (int r = 0; r < ex.length; r++) {
                        e.setInt(1, j);
                        e.setInt(2, r);
                        e.setDouble(3, ex[r].act);
                        e.setInt(4, ex[r].center);
                        e.setString(5, java.util.Arrays.toString(ex[r].tokens));
                        e.setString(6, json(tok, ex[r].tokens));
                        e.setString(7, java.util.Arrays.toString(ex[r].acts));
                        e.addBatch();
                    }
                }
                f.executeBatch();
                h.executeBatch();
                e.executeBatch();
            }
            writeLogitEffects(db, model, tok, target, logits);
            db.commit();
        } catch (SQLException e) {
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(tmp.resolveSibling(tmp.getFileName() + "-journal"));
            throw new IOException("writing feature store " + out + ": " + e.getMessage(), e);
        }
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeLogitEffects(Connection db, HookedTransformer model, Tokenizer tok, ScanTarget target, int top) throws SQLException {
        var w = model.weights();
        if (w.unembed() == null || target.decoder() == null || top <= 0) return;
        int d = model.config().dModel(), vocab = model.config().dVocab();
        float[] wDec = target.decoder();
        Tensor wu = w.unembed().weight(); // [d_vocab, d_model], read through its packed form
        float[] gain = w.lnFinal() == null || w.lnFinal().gain() == null ? null : w.lnFinal().gain().data();
        try (PreparedStatement p = db.prepareStatement("INSERT INTO logit_effects VALUES (?, ?, ?, ?, ?, ?)")) {
            float[] dir = new float[d];
            int k = Math.min(top, vocab);
            for (int j = 0; j < target.latents(); j++) {
                for (int i = 0; i < d; i++) dir[i] = wDec[j * d + i] * (gain == null ? 1f : gain[i]);
                float[] eff = Ops.linear(Tensor.of(dir, 1, d), wu, null).data();
                int[] up = extremes(eff, k, 1), down = extremes(eff, k, -1);
                for (int r = 0; r < k; r++) {
                    insert(p, j, 1, r, up[r], tok, eff[up[r]]);
                    insert(p, j, -1, r, down[r], tok, eff[down[r]]);
                }
            }
            p.executeBatch();
        }
    }

    /** The k indices of the largest (sign 1) or smallest (sign −1) values, most extreme first: one pass, O(n · k). */
    static int[] extremes(float[] v, int k, int sign) {
        int[] idx = new int[k];
        int n = 0;
        for (int i = 0; i < v.length; i++) {
            float x = sign * v[i];
            if (n == k && x <= sign * v[idx[k - 1]]) continue;
            int at = n < k ? n++ : k - 1;
            while (at > 0 && sign * v[idx[at - 1]] < x) {
                idx[at] = idx[at - 1];
                at--;
            }
            idx[at] = i;
        }
        return idx;
    }

    private static void insert(PreparedStatement p, int j, int sign, int rank, int id, Tokenizer tok, float value) throws SQLException {
        p.setInt(1, j);
        p.setInt(2, sign);
        p.setInt(3, rank);
        p.setInt(4, id);
        p.setString(5, tok == null ? null : tok.tokenText(id));
        p.setDouble(6, value);
        p.addBatch();
    }

    /** The tokens' decoded texts as a JSON array (ids as text without a tokenizer). */
    private static String json(Tokenizer tok, int[] ids) {
        List<String> texts = new ArrayList<>(ids.length);
        for (int id : ids) texts.add(tok == null ? Integer.toString(id) : tok.tokenText(id));
        return Json.text(texts);
    }
}
