package dev.loupe.circuits;

import dev.loupe.core.Autograd;
import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.TransformerConfig.NormKind;
import dev.loupe.model.TransformerWeights;
import dev.loupe.model.TransformerWeights.Block;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.model.hooks.Site;
import dev.loupe.sae.transcoder.TranscoderHooks;
import dev.loupe.sae.transcoder.Transcoders;
import java.util.ArrayList;
import java.util.List;

/**
 * The local replacement model of one prompt (Ameisen et al. 2025, circuit-tracer): the model with every
 * attention pattern and every norm's scale frozen at their values on the prompt (LayerNorm's centring stays),
 * and every MLP replaced by its transcoder's skip path plus a frozen remainder (the real MLP output minus that
 * skip), so its forward pass reproduces the real one exactly while being linear in the residual stream. A
 * gradient through it is therefore a sum of direct effects along linear paths.
 *
 * <p>{@link #of} runs the real forward once and keeps what is frozen; {@link #backward} differentiates a batch of
 * targets through copies of the replacement model in one reverse pass for the whole batch.
 */
public final class LocalReplacementModel {
    private final HookedTransformer model;
    private final Transcoders transcoders;
    private final int[] tokens;
    private final int pos, d, nLayers;
    private final float[][] ln1Inv, ln2Inv; // [layer][pos] 1/σ of the real forward
    private final float[] finalInv;
    private final FrozenPatterns patterns;
    private final float[][] attnIn, mlpIn, mlpOut; // [layer][pos·d]
    private final float[] lastLogits;
    private final float[][] valueWeight, outWeight, skip; // [layer][out·in] row-major: W_V, W_O, W_skip (null where none)

    private LocalReplacementModel(HookedTransformer model, Transcoders transcoders, int[] tokens, ActivationCache c, FrozenPatterns patterns, Tensor logits) {
        TransformerConfig cfg = model.config();
        this.model = model;
        this.transcoders = transcoders;
        this.tokens = tokens.clone();
        this.pos = tokens.length;
        this.d = cfg.dModel();
        this.nLayers = cfg.nLayers();
        boolean centered = cfg.norm() == NormKind.LAYER_NORM;
        ln1Inv = new float[nLayers][];
        ln2Inv = new float[nLayers][];
        this.patterns = patterns;
        attnIn = new float[nLayers][];
        mlpIn = new float[nLayers][];
        mlpOut = new float[nLayers][];
        valueWeight = new float[nLayers][];
        outWeight = new float[nLayers][];
        skip = new float[nLayers][];
        int h = cfg.nHeads(), kvh = cfg.nKvHeads(), dh = cfg.dHead();
        for (int l = 0; l < nLayers; l++) {
            String b = "blocks." + l + ".";
            float[] residPre = c.get(b + "hook_resid_pre").data();
            ln1Inv[l] = inverseScales(residPre, pos, d, cfg.normEps(), centered);
            ln2Inv[l] = inverseScales(cfg.parallelResidual() ? residPre : c.get(b + "hook_resid_mid").data(), pos, d, cfg.normEps(), centered);
            attnIn[l] = c.get(b + "ln1.hook_normalized").data();
            mlpIn[l] = c.get(b + "ln2.hook_normalized").data();
            mlpOut[l] = c.get(b + "hook_mlp_out").data();
            skip[l] = transcoders.skip(l) == null ? null : transcoders.skip(l).data();
            TransformerWeights.Linear qkv = model.weights().blocks().get(l).attn().qkv();
            valueWeight[l] = rows(qkv.weight(), (h + kvh) * dh, kvh * dh);
            outWeight[l] = rows(model.weights().blocks().get(l).attn().out().weight(), 0, d);
        }
        finalInv = inverseScales(c.get("blocks." + (nLayers - 1) + ".hook_resid_post").data(), pos, d, cfg.normEps(), centered);
        lastLogits = logits.data();
    }

    /**
     * Runs the real forward on {@code tokens} and freezes it. The model must be a causal pre-norm decoder with an
     * MLP in every block and a final norm; the transcoders must read {@code ln2.hook_normalized} and write
     * {@code hook_mlp_out} at every layer.
     */
    public static LocalReplacementModel of(HookedTransformer model, Transcoders transcoders, int[] tokens) {
        TransformerConfig cfg = model.config();
        if (!cfg.causal() || cfg.postNorm() || cfg.attnOnly() || !cfg.finalNorm() || !cfg.hasUnembed()) {
            throw new IllegalArgumentException("attribution needs a causal pre-norm decoder with MLPs, a final norm and an unembedding; "
                    + cfg.architecture() + " is not one");
        }
        if (cfg.sublayerPostNorms() || cfg.norm() == NormKind.GEMMA_RMS_NORM || cfg.embedScale() != 1f || cfg.finalSoftcap() > 0) {
            throw new IllegalArgumentException("attribution: " + cfg.architecture() + " has sublayer post-norms, Gemma norms, an embedding "
                    + "scale or a final soft-cap, which the replacement model does not cover yet");
        }
        if (model.weights().embed().tokenTypes() != null || model.weights().embed().norm() != null) {
            throw new IllegalArgumentException("attribution: " + cfg.architecture() + " has token-type embeddings or an embedding norm, which the replacement model does not cover");
        }
        if (!transcoders.hooks().equals(TranscoderHooks.MLP)) {
            throw new IllegalArgumentException("attribution needs transcoders that read " + TranscoderHooks.MLP.input() + " (mlp.hook_in) and write "
                    + TranscoderHooks.MLP.output() + " (mlp.hook_out); these read " + transcoders.hooks().input() + " and write " + transcoders.hooks().output());
        }
        if (transcoders.nLayers() != cfg.nLayers() || transcoders.dModel() != cfg.dModel()) {
            throw new IllegalArgumentException("transcoders cover " + transcoders.nLayers() + " layers of d_model " + transcoders.dModel()
                    + " but the model has " + cfg.nLayers() + " layers of d_model " + cfg.dModel());
        }
        if (tokens.length == 0) throw new IllegalArgumentException("attribution needs at least one token");
        List<String> hooks = new ArrayList<>(List.of("blocks.*.hook_resid_pre", "blocks.*.ln1.hook_normalized", "blocks.*.ln2.hook_normalized",
                "blocks.*.hook_mlp_out", "blocks." + (cfg.nLayers() - 1) + ".hook_resid_post"));
        if (!cfg.parallelResidual()) hooks.add("blocks.*.hook_resid_mid");
        ActivationCache cache = new ActivationCache();
        FrozenPatterns patterns = new FrozenPatterns(cfg, tokens.length);
        Hooks.Builder hb = Hooks.builder(model.hooks()).cache(hooks, cache);
        for (int l = 0; l < cfg.nLayers(); l++) { // the queries and keys, not the patterns: those are made again block by block
            Site[] qk = FrozenPatterns.sites(model.hooks(), l);
            int layer = l;
            hb.add(qk[0].name(l), (x, ctx) -> {
                patterns.capture(layer, true, x.data());
                return x;
            });
            hb.add(qk[1].name(l), (x, ctx) -> {
                patterns.capture(layer, false, x.data());
                return x;
            });
        }
        Hooks h = hb.build();
        Tensor logits = Autograd.noGrad(() -> model.forward(new int[][] {tokens}, h, null, ForwardOptions.LAST_LOGITS)); // [1, 1, d_vocab]
        return new LocalReplacementModel(model, transcoders, tokens, cache, patterns, logits);
    }

    /** Rows [from, from + count) of a linear weight [out, in], row-major, read from its packed copy. */
    private static float[] rows(Tensor w, int from, int count) {
        int in = w.size(1);
        float[] out = new float[count * in];
        for (int r = 0; r < count; r++) w.row(from + r, out, r * in);
        return out;
    }

    /** 1/σ per row: σ = sqrt(var + eps) (centred) or sqrt(mean x² + eps), in double. */
    static float[] inverseScales(float[] x, int rows, int d, float eps, boolean centered) {
        float[] out = new float[rows];
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            if (centered) {
                for (int i = 0; i < d; i++) mean += x[r * d + i];
                mean /= d;
            }
            double var = 0;
            for (int i = 0; i < d; i++) {
                double c = x[r * d + i] - mean;
                var += c * c;
            }
            out[r] = (float) (1.0 / Math.sqrt(var / d + eps));
        }
        return out;
    }

    public HookedTransformer model() {
        return model;
    }

    public Transcoders transcoders() {
        return transcoders;
    }

    public int[] tokens() {
        return tokens.clone();
    }

    public int positions() {
        return pos;
    }

    /** The real attention input [pos·d] (ln1.hook_normalized) at {@code layer}. */
    public float[] attentionInput(int layer) {
        return attnIn[layer];
    }

    /** The real MLP input [pos·d] (ln2.hook_normalized) at {@code layer}, as the transcoders read it. */
    public float[] mlpInput(int layer) {
        return mlpIn[layer];
    }

    /** The real MLP output [pos·d] at {@code layer}. */
    public float[] mlpOutput(int layer) {
        return mlpOut[layer];
    }

    /** 1/σ per position of {@code layer}'s first (ln1) or second (ln2) norm, or of the final norm when layer is nLayers. */
    float[] inverseScale(int layer, boolean second) {
        return layer == nLayers ? finalInv : second ? ln2Inv[layer] : ln1Inv[layer];
    }

    /** The attention pattern [heads·pos·pos] of {@code layer} on the prompt (made again from the frozen queries and keys). */
    float[] pattern(int layer) {
        return patterns.dense(layer);
    }

    /** Bytes held for the frozen patterns (the queries and keys they are made from). */
    long patternBytes() {
        return patterns.bytes();
    }

    /** Logits [d_vocab] at the last position of the real forward. */
    public float[] lastLogits() {
        return lastLogits;
    }

    /** The embedding row [d] of the token at {@code position}: the vector a token node stands for. */
    public float[] tokenVector(int position) {
        float[] row = new float[d];
        model.weights().embed().tokens().row(tokens[position], row, 0);
        return row;
    }

    /** Which activation a target reads. */
    public enum Read {
        /** {@code blocks.{l}.ln1.hook_normalized}: what attention reads (queries, keys, values). */
        ATTENTION_INPUT,
        /** {@code blocks.{l}.ln2.hook_normalized}: what the MLP and its transcoder read. */
        MLP_INPUT,
        /** {@code ln_final.hook_normalized}: what the unembedding reads (layer is nLayers). */
        FINAL
    }

    /**
     * One target of a backward pass: the scalar {@code direction · a[position]} with a the activation {@code read}
     * at {@code layer} (ignored for {@link Read#FINAL}).
     */
    public record Target(Read read, int layer, int position, float[] direction) {
        /** How many blocks the forward must enter to reach this target: its layer, or all for FINAL. */
        int depth(int nLayers) {
            return read == Read.FINAL ? nLayers : layer;
        }
    }

    /** Receives, during a reverse pass, the gradient at each layer's MLP output, from the last layer down. */
    @FunctionalInterface
    public interface ResidualSink {
        /**
         * @param g [batch, prefix, d]: ∂target/∂(what layer {@code layer}'s MLP writes) — the residual after block
         *          {@code layer} — zero beyond each copy's own position and for copies whose target lies at or below the layer
         */
        void accept(int layer, float[] g);
    }

    /**
     * Differentiates every target of {@code batch} in one reverse pass through {@code batch.size()} copies of the
     * replacement model (copy j carries target j), from the deepest target down. The model is linear in the residual
     * stream, so no forward is needed: the gradient is pushed straight through the frozen norms, the value/output path
     * of the frozen attention and the skip paths. Only the first {@code prefix} = 1 + (largest target position)
     * positions are computed (attention is causal), and at each layer only the copies whose target lies above it
     * (cheapest when the batch is ordered deepest first). {@code sink} sees each layer's MLP-output gradient as it is
     * made, so no more than one layer's gradients are held. Cost O(B · L · (P · d² + H · P² · d_head / 2)).
     *
     * @return ∂target/∂(token embedding) [batch, prefix, d]
     */
    public float[] backward(List<Target> batch, ResidualSink sink) {
        TransformerConfig cfg = model.config();
        TransformerWeights w = model.weights();
        int b = batch.size(), top = 0, prefix = 0;
        int[] depth = new int[b];
        for (int j = 0; j < b; j++) {
            depth[j] = batch.get(j).depth(nLayers);
            top = Math.max(top, depth[j]);
            prefix = Math.max(prefix, batch.get(j).position() + 1);
        }
        boolean centered = cfg.norm() == NormKind.LAYER_NORM;
        int rows = b * prefix;
        float[] g = null; // at the residual after the current block
        if (top == nLayers) g = FrozenOps.normBackward(inject(null, batch, Read.FINAL, nLayers, prefix), rows, prefix, d, finalInv, w.lnFinal().gain(), centered);
        for (int l = Math.min(top, nLayers - 1); l >= 0; l--) {
            Block blk = w.blocks().get(l);
            int live = 0; // copies [0, live) include every one whose target lies at or above this layer
            for (int j = 0; j < b; j++) if (depth[j] >= l) live = j + 1;
            int liveRows = live * prefix;
            if (g != null) sink.accept(l, g);
            float[] gh2 = g != null && skip[l] != null ? FrozenOps.linear(g, liveRows, rows, skip[l], d, d) : null;
            gh2 = inject(gh2, batch, Read.MLP_INPUT, l, prefix);
            float[] gn2 = gh2 == null ? null : FrozenOps.normBackward(gh2, liveRows, prefix, d, ln2Inv[l], blk.ln2().gain(), centered);
            float[] gAttn, gx;
            if (cfg.parallelResidual()) { // post = x + attn(ln1 x) + mlp(ln2 x)
                gAttn = g;
                gx = FrozenOps.plus(gn2, g);
            } else { // mid = x + attn(ln1 x), post = mid + mlp(ln2 mid)
                gAttn = FrozenOps.plus(gn2, g);
                gx = gAttn;
            }
            float[] gh1 = null;
            if (gAttn != null) {
                int hd = cfg.nHeads() * cfg.dHead(), kvd = cfg.nKvHeads() * cfg.dHead();
                float[] gz = FrozenOps.linear(gAttn, liveRows, rows, outWeight[l], d, hd);
                float[] gv = FrozenOps.mix(patterns, l, gz, b, live, prefix, cfg.nHeads(), cfg.nKvHeads(), cfg.dHead());
                gh1 = FrozenOps.linear(gv, liveRows, rows, valueWeight[l], kvd, d);
            }
            gh1 = inject(gh1, batch, Read.ATTENTION_INPUT, l, prefix);
            if (gh1 != null) gx = FrozenOps.plus(FrozenOps.normBackward(gh1, liveRows, prefix, d, ln1Inv[l], blk.ln1().gain(), centered), gx);
            g = gx;
        }
        return g == null ? new float[rows * d] : g;
    }

    /** Adds each target of {@code batch} that reads {@code read} at {@code layer} to g [batch, prefix, d] (allocated when null; null when none). */
    private float[] inject(float[] g, List<Target> batch, Read read, int layer, int prefix) {
        for (int j = 0; j < batch.size(); j++) {
            Target t = batch.get(j);
            if (t.read() != read || (read != Read.FINAL && t.layer() != layer)) continue;
            if (g == null) g = new float[batch.size() * prefix * d];
            int o = (j * prefix + t.position()) * d;
            for (int i = 0; i < d; i++) g[o + i] += t.direction()[i];
        }
        return g;
    }
}
