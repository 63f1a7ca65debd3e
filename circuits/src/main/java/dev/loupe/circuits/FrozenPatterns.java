package dev.loupe.circuits;

import dev.loupe.core.kernels.Attention;
import dev.loupe.core.kernels.Softmax;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.hooks.HookIndex;
import dev.loupe.model.hooks.Site;
import java.util.Arrays;

/**
 * The attention patterns of the real forward, for the reverse passes of the local replacement model, kept as the
 * forward's own queries and keys (after q/k norms and rotary: what the scores read) rather than as patterns: L · P ·
 * (H + H_kv) · d_head floats instead of L · H · P². A block of query rows is made again when a reverse pass reads it,
 * with the forward's kernels ({@link Attention#scores}, {@link Softmax}) — only the rows and keys the pass reaches, one
 * block of {@value #QUERY_BLOCK} queries at a time, so the pattern never exists whole — at the cost of one query·key
 * product per layer and pass (1/B of the pass's attention work with B copies). The values are the forward's to
 * rounding (the softmax of a row cut at the block's last key sums the same terms; the forward's fused kernel has the
 * bits of scores + softmax).
 */
final class FrozenPatterns {
    /** Query rows per block (one depth block of the pattern product). */
    static final int QUERY_BLOCK = 256;
    private static final Site[][] QK = {{Site.Q, Site.K}, {Site.Q_NORM, Site.K_NORM}, {Site.ROT_Q, Site.ROT_K}}; // in forward order
    private final TransformerConfig cfg;
    private final int pos;
    private final float[][] queries, keys; // [layer][pos · heads · d_head], [layer][pos · kvHeads · d_head]

    FrozenPatterns(TransformerConfig cfg, int pos) {
        this.cfg = cfg;
        this.pos = pos;
        queries = new float[cfg.nLayers()][];
        keys = new float[cfg.nLayers()][];
    }

    /** The query and key hooks of {@code layer} whose activations the scores read: the last q/k stage the model has there. */
    static Site[] sites(HookIndex index, int layer) {
        Site[] last = QK[0];
        for (Site[] s : QK) if (index.index(layer, s[0]) >= 0) last = s;
        return last;
    }

    /** Keeps {@code layer}'s queries [pos · heads · d_head] and keys [pos · kvHeads · d_head] as the scores read them. */
    void capture(int layer, boolean query, float[] values) {
        if (query) queries[layer] = values;
        else keys[layer] = values;
    }

    /** Bytes held: the queries and keys. */
    long bytes() {
        long n = 0;
        for (int l = 0; l < queries.length; l++) n += 4L * (queries[l].length + keys[l].length);
        return n;
    }

    /**
     * The block of pattern rows starting at query {@code q0} (a multiple of {@value #QUERY_BLOCK}) of {@code layer}:
     * queries [q0, keys(q0)) over keys [0, keys(q0)), head-major [heads, keys(q0) - q0, keys(q0)], zeros above the
     * diagonal (what the causal softmax gives there). A block is always made whole, the same way, so every pass reads
     * the same values bit for bit however far into it it reaches.
     */
    float[] block(int layer, int q0) {
        int h = cfg.nHeads(), dh = cfg.dHead(), width = keys(q0), rows = width - q0;
        float[] q = Arrays.copyOfRange(queries[layer], q0 * h * dh, width * h * dh);
        var spec = cfg.attention(layer);
        // the queries at positions [q0, width) against keys [0, width), as a KV-cached forward would score them
        Attention.Dims dims = new Attention.Dims(1, rows, width, pos, h, cfg.nKvHeads(), dh, true, spec.window(), cfg.attnSoftcap());
        float[] scores = new float[h * rows * width], pattern = new float[scores.length];
        Attention.scores(q, keys[layer], dims, cfg.attnScale(), scores);
        Softmax.rows(scores, pattern, h * rows, width);
        return pattern;
    }

    /** The keys every row of the block starting at query {@code q0} is made over: up to the block's last query. */
    int keys(int q0) {
        return Math.min(pos, q0 + QUERY_BLOCK);
    }

    /** {@code layer}'s full pattern [heads, pos, pos]. */
    float[] dense(int layer) {
        int h = cfg.nHeads();
        float[] full = new float[h * pos * pos];
        for (int q0 = 0; q0 < pos; q0 += QUERY_BLOCK) {
            int q1 = keys(q0), rows = q1 - q0;
            float[] b = block(layer, q0);
            for (int i = 0; i < h; i++) for (int r = 0; r < rows; r++) System.arraycopy(b, (i * rows + r) * q1, full, (i * pos + q0 + r) * pos, q1);
        }
        return full;
    }
}
