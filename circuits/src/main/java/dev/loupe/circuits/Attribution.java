package dev.loupe.circuits;

import dev.loupe.core.Parallel;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.sae.Vec;
import dev.loupe.sae.transcoder.Transcoders;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CancellationException;

/**
 * Builds attribution graphs with circuit-tracer's semantics, in phases (P positions, L layers, d = d_model,
 * F active features, T = logit targets, B targets per backward pass):
 * <ol>
 *   <li><b>Freeze</b>: one real forward pass, keeping norm scales, attention patterns and MLP inputs and outputs
 *       ({@link LocalReplacementModel#of}). Cost O(forward); memory O(L · P · d): the patterns are kept as the
 *       forward's queries and keys and made again block by block in each reverse pass ({@link FrozenPatterns}).</li>
 *   <li><b>Features</b>: encode every layer's MLP input, list the active features and the reconstruction errors
 *       ({@link ActiveFeatures#of}). Cost O(L · P · d · d_tc).</li>
 *   <li><b>Logit rows</b>: the T logit targets (demeaned unembedding columns read after the final norm) in
 *       ⌈T/B⌉ batched reverse passes ({@link LocalReplacementModel#backward}: no forward, since the replacement
 *       model is linear in the residual stream).</li>
 *   <li><b>Feature rows</b>: each visited feature's row (its encoder row read at its layer and position), B per
 *       reverse pass; with a feature budget below F, features are visited in order of their influence on the
 *       logits as estimated from the rows computed so far, re-ranked every {@value #UPDATE_INTERVAL} batches as
 *       circuit-tracer does, and each queue of features is ordered by position (then deepest first) before it is
 *       cut into batches, so a pass covers a short prefix of the prompt and few copies at the upper layers. Cost
 *       per pass O(B · L · (P · d² + H · P² · d_head / 2)) at most, plus (1/B of its attention part) remaking the
 *       patterns, ⌈visited/B⌉ passes.</li>
 *   <li><b>Contract</b>: as each layer's gradient is made, it is dotted with the sources' vectors — a feature's
 *       decoder row (read in place, times its activation), an error vector — and at the end the embedding gradient
 *       with the token embeddings. Cost O(B · (F + L · P) · d) per pass. A row keeps only the columns its target
 *       can reach ({@link SourceRow}).</li>
 *   <li><b>Assemble</b>: the rows of the selected features (ascending) and the logits, columns reduced to the
 *       selected features: the only nonzero rows of the adjacency, (N + T) · n floats, n = selected + (L + 1) · P + T.</li>
 * </ol>
 */
public final class Attribution {
    /** Batches visited between re-rankings of the unvisited features by influence (circuit-tracer's update_interval). */
    static final int UPDATE_INTERVAL = 4;
    private final LocalReplacementModel m;
    private final ActiveFeatures af;
    private final Transcoders tc;
    private final int pos, d, nLayers, restCols;
    private final float[] tokenRows; // [pos·d]
    private final long deadline;

    private Attribution(LocalReplacementModel m, long deadlineNanos) {
        this.m = m;
        this.deadline = deadlineNanos;
        this.tc = m.transcoders();
        this.af = ActiveFeatures.of(m);
        this.pos = m.positions();
        this.d = tc.dModel();
        this.nLayers = tc.nLayers();
        this.restCols = (nLayers + 1) * pos;
        tokenRows = new float[pos * d];
        for (int p = 0; p < pos; p++) System.arraycopy(m.tokenVector(p), 0, tokenRows, p * d, d);
    }

    /** {@code ids} with {@code bos} first unless it is there already (circuit-tracer always starts from BOS; its features are zeroed). */
    public static int[] withBos(java.util.OptionalInt bos, int[] ids) {
        if (bos.isEmpty() || (ids.length > 0 && ids[0] == bos.getAsInt())) return ids;
        int[] out = new int[ids.length + 1];
        out[0] = bos.getAsInt();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /** Phases 1–2 for {@code m}: the active features, ready for {@link #rows} (each reverse pass checks {@code deadlineNanos}, see {@link #graph(HookedTransformer, Transcoders, int[], AttributionOptions, long)}). */
    static Attribution of(LocalReplacementModel m, long deadlineNanos) {
        return new Attribution(m, deadlineNanos);
    }

    ActiveFeatures features() {
        return af;
    }

    /** The attribution graph of {@code tokens} (used as given: put BOS first yourself). */
    public static AttributionGraph graph(HookedTransformer model, Transcoders transcoders, int[] tokens, AttributionOptions opt) {
        return graph(model, transcoders, tokens, opt, Long.MAX_VALUE);
    }

    /**
     * The attribution graph of {@code tokens}, given up with a {@link CancellationException} at the first reverse pass
     * that would start after {@code deadlineNanos} ({@link System#nanoTime}): a server stops a graph at its request's
     * time limit instead of holding its model thread for minutes.
     */
    public static AttributionGraph graph(HookedTransformer model, Transcoders transcoders, int[] tokens, AttributionOptions opt, long deadlineNanos) {
        if (opt.maxMemory() > 0) { // refuse before the forward when the frozen forward alone is over the budget
            MemoryPlan.batchSize(model.config(), tokens.length, 0, MemoryPlan.widest(transcoders), 0, opt.maxNLogits(), 1, opt.maxMemory());
        }
        return new Attribution(LocalReplacementModel.of(model, transcoders, tokens), deadlineNanos).build(opt);
    }

    /** The batch size a graph of {@code activeFeatures} uses under {@code opt}: its own, or the largest up to it that fits the memory bound. */
    public static int batchSize(TransformerConfig cfg, Transcoders tc, int positions, int activeFeatures, AttributionOptions opt) {
        if (opt.maxMemory() == 0) return opt.batchSize();
        return MemoryPlan.batchSize(cfg, positions, activeFeatures, MemoryPlan.widest(tc), opt.maxFeatureNodes(), opt.maxNLogits(), opt.batchSize(), opt.maxMemory());
    }

    private AttributionGraph build(AttributionOptions options) {
        AttributionOptions opt = options.withBatchSize(batchSize(m.model().config(), tc, pos, af.size(), options));
        LogitTargets logits = LogitTargets.of(m, opt.maxNLogits(), opt.desiredLogitProb());
        int nLogits = logits.tokens().length;
        SourceRow[] logitRows = new SourceRow[nLogits];
        double[] logitSums = new double[nLogits];
        for (int a = 0; a < nLogits; a += opt.batchSize()) {
            List<LocalReplacementModel.Target> batch = new ArrayList<>();
            for (int j = a; j < Math.min(nLogits, a + opt.batchSize()); j++) batch.add(new LocalReplacementModel.Target(LocalReplacementModel.Read.FINAL, nLayers, pos - 1, logits.directions()[j]));
            SourceRow[] rows = compute(batch);
            for (int j = 0; j < rows.length; j++) {
                logitRows[a + j] = rows[j];
                logitSums[a + j] = rows[j].absSum();
            }
        }
        int nActive = af.size();
        SourceRow[] featureRows = new SourceRow[nActive];
        double[] featureSums = new double[nActive];
        int budget = Math.min(opt.maxFeatureNodes(), nActive), visited = 0;
        while (visited < budget) {
            int[] queue;
            if (budget == nActive) {
                queue = range(0, nActive);
            } else {
                double[] influence = Influence.partialFeatureInfluence(logitRows, logitSums, logits.probabilities(), featureRows, featureSums, af);
                queue = topUnvisited(influence, featureRows, Math.min(UPDATE_INTERVAL * opt.batchSize(), budget - visited));
            }
            queue = byPosition(queue);
            for (int a = 0; a < queue.length; a += opt.batchSize()) visit(Arrays.copyOfRange(queue, a, Math.min(queue.length, a + opt.batchSize())), featureRows, featureSums);
            visited += queue.length;
        }
        return assemble(logits, logitRows, featureRows);
    }

    private static int[] range(int a, int b) {
        int[] r = new int[b - a];
        for (int i = 0; i < r.length; i++) r[i] = a + i;
        return r;
    }

    /** The k unvisited features of highest influence (ties: lower index), best first; a heap of k, not a sort of all. */
    private static int[] topUnvisited(double[] influence, SourceRow[] rows, int k) {
        Comparator<Integer> worseFirst = Comparator.<Integer>comparingDouble(i -> influence[i]).thenComparing(Comparator.<Integer>reverseOrder());
        PriorityQueue<Integer> best = new PriorityQueue<>(k + 1, worseFirst);
        for (int i = 0; i < influence.length; i++) {
            if (rows[i] != null) continue;
            if (best.size() < k) best.add(i);
            else if (worseFirst.compare(i, best.peek()) > 0) {
                best.poll();
                best.add(i);
            }
        }
        int[] out = new int[best.size()];
        for (int j = out.length - 1; j >= 0; j--) out[j] = best.poll();
        return out;
    }

    /** {@code features} ordered by position, then deepest layer first: consecutive batches then share short prefixes. */
    private int[] byPosition(int[] features) {
        return Arrays.stream(features).boxed()
                .sorted(Comparator.<Integer>comparingInt(i -> af.position()[i]).thenComparing(i -> -af.layer()[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
    }

    private void visit(int[] features, SourceRow[] featureRows, double[] featureSums) {
        int[] order = Arrays.stream(features).boxed().sorted(Comparator.comparingInt(i -> -af.layer()[i])).mapToInt(Integer::intValue).toArray();
        List<LocalReplacementModel.Target> batch = new ArrayList<>();
        for (int i : order) {
            int l = af.layer()[i];
            float[] enc = Arrays.copyOfRange(tc.encoder(l).data(), af.feature()[i] * d, (af.feature()[i] + 1) * d);
            batch.add(new LocalReplacementModel.Target(LocalReplacementModel.Read.MLP_INPUT, l, af.position()[i], enc));
        }
        SourceRow[] rows = compute(batch);
        for (int j = 0; j < order.length; j++) {
            featureRows[order[j]] = rows[j];
            featureSums[order[j]] = rows[j].absSum();
        }
    }

    /** One reverse pass for {@code batch}, as dense rows over [active features, errors, tokens]. */
    float[][] rows(List<LocalReplacementModel.Target> batch) {
        SourceRow[] rows = compute(batch);
        float[][] out = new float[rows.length][];
        for (int j = 0; j < rows.length; j++) out[j] = rows[j].dense(af.size());
        return out;
    }

    /** One reverse pass for {@code batch}, contracted layer by layer into each target's row. */
    private SourceRow[] compute(List<LocalReplacementModel.Target> batch) {
        if (System.nanoTime() - deadline > 0) throw new CancellationException("attribution ran past its time limit");
        int b = batch.size(), prefix = 0;
        int[] depth = new int[b], at = new int[b];
        SourceRow[] out = new SourceRow[b];
        for (int j = 0; j < b; j++) {
            LocalReplacementModel.Target t = batch.get(j);
            depth[j] = t.depth(nLayers);
            at[j] = t.position();
            prefix = Math.max(prefix, at[j] + 1);
            out[j] = new SourceRow(af, depth[j], at[j], restCols);
        }
        int n = prefix;
        float[] ge = m.backward(batch, (t, g) -> contract(t, g, n, depth, at, out));
        for (int j = 0; j < b; j++) {
            for (int p = 0; p <= at[j]; p++) out[j].rest[nLayers * pos + p] = Vec.dot(ge, (j * prefix + p) * d, tokenRows, p * d, d);
        }
        return out;
    }

    /** Dots layer t's MLP-output gradient g [batch, prefix, d] with the decoders writing there and with its errors. */
    private void contract(int t, float[] g, int prefix, int[] depth, int[] at, SourceRow[] out) {
        int b = out.length;
        for (int s = 0; s <= t; s++) {
            if (tc.lastOutputLayer(s) < t) continue;
            int layer = s, a = af.layerStart()[s];
            Parallel.forRange(af.layerStart()[s + 1] - a, 256, (lo, hi) -> {
                int[] copy = new int[b], offset = new int[b];
                float[] dot = new float[b];
                for (int i = a + lo; i < a + hi; i++) {
                    int p = af.position()[i], n = 0;
                    for (int j = 0; j < b; j++) {
                        if (depth[j] <= t || p > at[j]) continue;
                        copy[n] = j;
                        offset[n++] = (j * prefix + p) * d;
                    }
                    if (n == 0) continue;
                    tc.decoderDots(layer, af.feature()[i], t, g, offset, n, dot);
                    float v = af.value()[i];
                    for (int k = 0; k < n; k++) {
                        SourceRow r = out[copy[k]];
                        r.active[r.offset[layer] + i - r.from[layer]] += v * dot[k];
                    }
                }
            });
        }
        float[] err = af.errors()[t];
        for (int j = 0; j < b; j++) {
            if (depth[j] <= t) continue;
            for (int p = 0; p <= at[j]; p++) out[j].rest[t * pos + p] = Vec.dot(g, (j * prefix + p) * d, err, p * d, d);
        }
    }

    private AttributionGraph assemble(LogitTargets logits, SourceRow[] logitRows, SourceRow[] featureRows) {
        int nActive = af.size(), nSel = 0;
        for (SourceRow r : featureRows) if (r != null) nSel++;
        int[] selected = new int[nSel];
        int k = 0;
        for (int i = 0; i < nActive; i++) if (featureRows[i] != null) selected[k++] = i;
        int nLogits = logitRows.length, n = nSel + restCols + nLogits;
        if ((long) n * (nSel + nLogits) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the adjacency rows of " + (nSel + nLogits) + " targets over " + n + " nodes do not fit one array; lower --max-feature-nodes");
        }
        float[] adj = new float[n * (nSel + nLogits)]; // the rows of feature nodes then logits: the others are zero
        for (int r = 0; r < nSel; r++) copyRow(featureRows[selected[r]], selected, adj, r * n);
        for (int j = 0; j < nLogits; j++) copyRow(logitRows[j], selected, adj, (nSel + j) * n);
        int[] layer = af.layer().clone(), position = af.position().clone(), feature = af.feature().clone();
        return new AttributionGraph(m.tokens(), nLayers, layer, position, feature, af.value().clone(), selected, logits.tokens(),
                logits.probabilities(), adj, tc.scan());
    }

    private void copyRow(SourceRow row, int[] selected, float[] adj, int off) {
        for (int c = 0; c < selected.length; c++) adj[off + c] = row.feature(selected[c], af.layer()[selected[c]]);
        System.arraycopy(row.rest, 0, adj, off + selected.length, restCols);
    }
}
