package dev.loupe.circuits;

import dev.loupe.model.TransformerConfig;

/**
 * The memory one attribution graph needs beyond the model's and transcoders' weights, estimated before anything large
 * is allocated, so that a budget ({@code --max-memory}) sets the batch size or refuses the graph with the figure.
 * Every part is an upper bound (P positions, L layers, H heads, d = d_model, F active features, N feature nodes, T
 * logits, B copies per pass, n = N + (L + 1) · P + T nodes):
 *
 * @param frozen the real forward's kept queries and keys (4 · L · P · (H + H_kv) · d_head bytes: the patterns are made
 *               again block by block, {@link FrozenPatterns}) and activations (4 · L · 5 · P · d), plus the largest
 *               transient: one block of pattern rows with its scores (2 · 4 · H · 256 · P), the forward's MLP, or
 *               encoding one layer
 * @param features the active-feature lists, 32 · F
 * @param batch one reverse pass's gradients, about {@value #ARRAYS_PER_PASS} arrays of 4 · B · P · d
 * @param rows the logit and visited-feature rows at full width, 4 · (N + T) · (F + (L + 1) · P)
 * @param graph the adjacency's nonzero rows and their pruning, R = N + T rows of n: 4 · R · n floats, R · n edge
 *              flags, 8 · R · n edge scores at most, and a few doubles per node — linear in P, not n²
 */
public record MemoryPlan(long frozen, long features, long batch, long rows, long graph) {
    private static final int ARRAYS_PER_PASS = 12;

    /** The plan of a prompt of {@code pos} tokens with {@code active} active features, transcoders {@code width} wide. */
    public static MemoryPlan of(TransformerConfig cfg, int pos, long active, int width, int featureNodes, int logits, int batch) {
        long p = pos, d = cfg.dModel(), l = cfg.nLayers(), h = cfg.nHeads();
        long qk = p * (h + cfg.nKvHeads()) * cfg.dHead(), block = 2 * h * Math.min(p, FrozenPatterns.QUERY_BLOCK) * p;
        long frozen = 4 * l * (qk + 5 * p * d) + 4 * Math.max(block, Math.max(8 * p * cfg.dMlp(), p * width));
        long nodes = Math.min(featureNodes, active), n = nodes + (l + 1) * p + logits, targets = nodes + logits;
        return new MemoryPlan(frozen, 32 * active, ARRAYS_PER_PASS * 4L * batch * p * d, 4 * targets * (active + (l + 1) * p),
                13 * targets * n + 48 * n);
    }

    /** The widest layer of {@code tc} (features read there). */
    public static int widest(dev.loupe.sae.transcoder.Transcoders tc) {
        int w = 0;
        for (int l = 0; l < tc.nLayers(); l++) w = Math.max(w, tc.width(l));
        return w;
    }

    public long total() {
        return frozen + features + batch + rows + graph;
    }

    /**
     * The largest batch size up to {@code most} whose plan fits {@code budget} bytes.
     *
     * @throws OverBudget with the figures when not even one copy per pass fits
     */
    public static int batchSize(TransformerConfig cfg, int pos, long active, int width, int featureNodes, int logits, int most, long budget) {
        MemoryPlan one = of(cfg, pos, active, width, featureNodes, logits, 1);
        if (one.total() > budget) throw new OverBudget(one, budget, "an attribution graph of " + pos + " tokens needs about " + one + ", over --max-memory "
                + gib(budget) + "; lower --max-feature-nodes or shorten the prompt");
        int b = 1;
        while (b < most && of(cfg, pos, active, width, featureNodes, logits, b + 1).total() <= budget) b++;
        return b;
    }

    /** A graph refused because its plan (with one copy per reverse pass) is over the memory budget: the figures, for a caller's own message. */
    public static final class OverBudget extends IllegalArgumentException {
        private final transient MemoryPlan plan;
        private final long budget;

        OverBudget(MemoryPlan plan, long budget, String message) {
            super(message);
            this.plan = plan;
            this.budget = budget;
        }

        public MemoryPlan plan() {
            return plan;
        }

        public long budget() {
            return budget;
        }
    }

    /** "1.23 GiB", or "45.6 MiB" below a GiB. */
    public static String gib(long bytes) {
        if (bytes < 1L << 30) return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        return String.format(java.util.Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }

    @Override
    public String toString() {
        return gib(total()) + " (frozen forward " + gib(frozen) + ", features " + gib(features) + ", reverse pass " + gib(batch) + ", rows " + gib(rows)
                + ", adjacency and pruning " + gib(graph) + ")";
    }
}
