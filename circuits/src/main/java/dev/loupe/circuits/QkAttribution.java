package dev.loupe.circuits;

import dev.loupe.core.kernels.Rotary;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.TransformerWeights;
import dev.loupe.sae.transcoder.Transcoders;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Attention (QK) attribution: one head's pre-softmax score between a query and a key position split over pairs
 * of graph nodes. In the local replacement model the query vector is linear in the nodes, q = Σ_i q_i + q₀ (q_i
 * the part node i's vector carries through the frozen norms, attention and skip paths into {@code ln1} at the
 * query position, then W_Q and, where the model has them, the per-head q-norm with its scale frozen and the
 * rotary rotation of the query position; q₀ biases and constants), and so is the key, k = Σ_j k_j + k₀ (rotated
 * by the key position). The score is then exactly s · Σ_ij q_i·k_j plus bias terms (s the model's attention scale,
 * before any soft-cap): {@link #pair} is node i on the query side with node j on the key side. Sources are columns
 * as in the graph before selection: active features, errors [layer][position], tokens [position].
 *
 * <p>Cost: 2·d_head targets, ⌈2·d_head / B⌉ batched backward passes through the first {@code layer} blocks.
 *
 * @param query [sources][d_head] q_i as the score reads them (after q-norm and rotary); key [sources][d_head] k_j
 * @param queryBias q₀, keyBias k₀ [d_head]
 * @param scale the factor on q·k (1/√d_head unless the model says otherwise)
 * @param score the head's actual scaled score at (queryPos, keyPos), before any soft-cap
 */
public record QkAttribution(int layer, int head, int queryPos, int keyPos, ActiveFeatures features, int[] tokens,
                            float[][] query, float[][] key, float[] queryBias, float[] keyBias, float scale, double score) {

    public static QkAttribution of(HookedTransformer model, Transcoders tc, int[] tokens, int layer, int head, int queryPos, int keyPos,
                                   int batchSize) {
        return of(model, tc, tokens, layer, head, queryPos, keyPos, batchSize, Long.MAX_VALUE);
    }

    /** As above, given up with a {@link java.util.concurrent.CancellationException} at the first reverse pass that would start after {@code deadlineNanos}. */
    public static QkAttribution of(HookedTransformer model, Transcoders tc, int[] tokens, int layer, int head, int queryPos, int keyPos,
                                   int batchSize, long deadlineNanos) {
        TransformerConfig cfg = model.config();
        if (layer < 0 || layer >= cfg.nLayers()) throw new IllegalArgumentException("layer " + layer + " is outside 0.." + (cfg.nLayers() - 1));
        if (head < 0 || head >= cfg.nHeads()) throw new IllegalArgumentException("head " + head + " is outside 0.." + (cfg.nHeads() - 1));
        if (keyPos < 0 || keyPos > queryPos || queryPos >= tokens.length) {
            throw new IllegalArgumentException("need 0 ≤ key ≤ query < " + tokens.length + " (causal attention), got query " + queryPos + ", key " + keyPos);
        }
        int window = cfg.attention(layer).window();
        if (window > 0 && queryPos - keyPos >= window) {
            throw new IllegalArgumentException("layer " + layer + " attends within a window of " + window + " tokens; key " + keyPos + " is outside query " + queryPos + "'s");
        }
        LocalReplacementModel m = LocalReplacementModel.of(model, tc, tokens);
        Attribution a = Attribution.of(m, deadlineNanos);
        int dh = cfg.dHead(), d = cfg.dModel(), kvHead = head / (cfg.nHeads() / cfg.nKvHeads());
        TransformerWeights.Attention attn = model.weights().blocks().get(layer).attn();
        TransformerWeights.Linear qkv = attn.qkv();
        float[] bias = qkv.bias() == null ? new float[qkv.out()] : qkv.bias().data();
        int qRow = head * dh, kRow = (cfg.nHeads() + kvHead) * dh;
        float[] w = new float[qkv.out() * d]; // only the head's query and key rows are filled, from the packed weight
        for (int r = 0; r < dh; r++) {
            qkv.weight().row(qRow + r, w, (qRow + r) * d);
            qkv.weight().row(kRow + r, w, (kRow + r) * d);
        }
        float[][] q = side(a, m, layer, queryPos, w, qRow, dh, d, batchSize), k = side(a, m, layer, keyPos, w, kRow, dh, d, batchSize);
        float[] qRaw = project(m.attentionInput(layer), queryPos, w, bias, qRow, dh, d), kRaw = project(m.attentionInput(layer), keyPos, w, bias, kRow, dh, d);
        HeadMap qMap = HeadMap.of(cfg, layer, attn.qNorm(), qRaw, queryPos), kMap = HeadMap.of(cfg, layer, attn.kNorm(), kRaw, keyPos);
        float[] qActual = qMap.affine(qRaw), kActual = kMap.affine(kRaw);
        qMap.linear(q);
        kMap.linear(k);
        float[] qBias = remainder(qActual, q), kBias = remainder(kActual, k);
        double score = 0;
        for (int i = 0; i < dh; i++) score += (double) qActual[i] * kActual[i];
        return new QkAttribution(layer, head, queryPos, keyPos, a.features(), tokens.clone(), q, k, qBias, kBias, cfg.attnScale(), score * cfg.attnScale());
    }

    /**
     * What follows the projection of one head's query or key at one position: the per-head norm (Qwen 3, Gemma 3)
     * with its scale frozen at the real vector's, then the rotary rotation of that position. Both are linear once
     * the scale is frozen; the norm's bias, if any, is the only affine part and goes to the bias term.
     */
    private record HeadMap(float inverseScale, float[] gain, float[] normBias, boolean centered, Rotary rotary, int position) {
        static HeadMap of(TransformerConfig cfg, int layer, TransformerWeights.Norm norm, float[] real, int position) {
            Rotary rot = cfg.attention(layer).rotary();
            if (!cfg.qkNorm() || norm == null) return new HeadMap(1f, null, null, false, rot, position);
            boolean centered = cfg.norm().centered();
            float inv = LocalReplacementModel.inverseScales(real, 1, real.length, cfg.normEps(), centered)[0];
            float[] gain = null;
            if (norm.gain() != null) {
                gain = norm.gain().data().clone();
                for (int i = 0; i < gain.length; i++) gain[i] += cfg.norm().gainOffset();
            }
            return new HeadMap(inv, gain, norm.bias() == null ? null : norm.bias().data(), centered, rot, position);
        }

        /** The linear part, in place, on every row of {@code parts} [n][d_head]. */
        void linear(float[][] parts) {
            int dh = parts.length == 0 ? 0 : parts[0].length;
            float[] flat = new float[parts.length * dh];
            for (int s = 0; s < parts.length; s++) {
                normalize(parts[s]);
                System.arraycopy(parts[s], 0, flat, s * dh, dh);
            }
            if (rotary == null) return;
            rotary.apply(flat, flat, parts.length, 1, 1, dh, position);
            for (int s = 0; s < parts.length; s++) System.arraycopy(flat, s * dh, parts[s], 0, dh);
        }

        /** The whole map (norm bias included) on the real vector: what the score reads. */
        float[] affine(float[] real) {
            float[] x = real.clone();
            normalize(x);
            if (normBias != null) for (int i = 0; i < x.length; i++) x[i] += normBias[i];
            if (rotary != null) rotary.apply(x, x, 1, 1, 1, x.length, position);
            return x;
        }

        private void normalize(float[] x) {
            if (gain == null && inverseScale == 1f) return;
            double mean = 0;
            if (centered) {
                for (float v : x) mean += v;
                mean /= x.length;
            }
            for (int i = 0; i < x.length; i++) x[i] = (float) (x[i] - mean) * inverseScale * (gain == null ? 1f : gain[i]);
        }
    }

    /** Per source, its part of the d_head projection rows {@code row..row+dh} of ln1 at {@code pos}: one target per row. */
    private static float[][] side(Attribution a, LocalReplacementModel m, int layer, int pos, float[] w, int row, int dh, int d, int batchSize) {
        float[][] perRow = new float[dh][];
        for (int r0 = 0; r0 < dh; r0 += batchSize) {
            List<LocalReplacementModel.Target> batch = new ArrayList<>();
            for (int r = r0; r < Math.min(dh, r0 + batchSize); r++) {
                batch.add(new LocalReplacementModel.Target(LocalReplacementModel.Read.ATTENTION_INPUT, layer, pos, Arrays.copyOfRange(w, (row + r) * d, (row + r + 1) * d)));
            }
            float[][] rows = a.rows(batch);
            System.arraycopy(rows, 0, perRow, r0, rows.length);
        }
        int sources = perRow[0].length;
        float[][] out = new float[sources][dh];
        for (int r = 0; r < dh; r++) for (int s = 0; s < sources; s++) out[s][r] = perRow[r][s];
        return out;
    }

    private static float[] project(float[] x, int pos, float[] w, float[] b, int row, int dh, int d) {
        float[] out = new float[dh];
        for (int r = 0; r < dh; r++) {
            double s = b[row + r];
            for (int i = 0; i < d; i++) s += (double) w[(row + r) * d + i] * x[pos * d + i];
            out[r] = (float) s;
        }
        return out;
    }

    private static float[] remainder(float[] actual, float[][] parts) {
        double[] sum = new double[actual.length];
        for (float[] p : parts) for (int i = 0; i < actual.length; i++) sum[i] += p[i];
        float[] out = new float[actual.length];
        for (int i = 0; i < actual.length; i++) out[i] = (float) (actual[i] - sum[i]);
        return out;
    }

    /** Node i on the query side with node j on the key side: s · q_i·k_j. */
    public double pair(int i, int j) {
        double s = 0;
        for (int r = 0; r < queryBias.length; r++) s += (double) query[i][r] * key[j][r];
        return s * scale;
    }

    /** One scored (query source, key source) pair. */
    public record Pair(int querySource, int keySource, double value) {}

    /** The {@code n} pairs of largest |q_i·k_j| among sources that reach their side. */
    public List<Pair> topPairs(int n) {
        List<Integer> qs = nonzero(query), ks = nonzero(key);
        List<Pair> all = new ArrayList<>();
        for (int i : qs) for (int j : ks) all.add(new Pair(i, j, pair(i, j)));
        all.sort(Comparator.comparingDouble(p -> -Math.abs(p.value())));
        return all.subList(0, Math.min(n, all.size()));
    }

    private static List<Integer> nonzero(float[][] side) {
        List<Integer> out = new ArrayList<>();
        for (int s = 0; s < side.length; s++) {
            for (float v : side[s]) {
                if (v != 0) {
                    out.add(s);
                    break;
                }
            }
        }
        return out;
    }

    public int positions() {
        return tokens.length;
    }

    /** A source's label: "L{layer} F{feature} @{pos}", "error L{layer} @{pos}" or "token @{pos}". */
    public String label(int source) {
        int n = features.size(), layers = features.errors().length, positions = tokens.length;
        if (source < n) return "L" + features.layer()[source] + " F" + features.feature()[source] + " @" + features.position()[source];
        if (source < n + layers * positions) return "error L" + (source - n) / positions + " @" + (source - n) % positions;
        return "token @" + (source - n - layers * positions);
    }

    /** A source's {@code node_id} as graph.json spells it ({@link GraphFiles}): "{layer}_{feature}_{pos}", "err_{layer}_{pos}", "E_{token}_{pos}". */
    public String nodeId(int source) {
        int n = features.size(), layers = features.errors().length, positions = tokens.length;
        if (source < n) return features.layer()[source] + "_" + features.feature()[source] + "_" + features.position()[source];
        if (source < n + layers * positions) return "err_" + (source - n) / positions + "_" + (source - n) % positions;
        int p = source - n - layers * positions;
        return "E_" + tokens[p] + "_" + p;
    }
}
