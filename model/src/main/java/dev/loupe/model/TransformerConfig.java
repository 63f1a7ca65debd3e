package dev.loupe.model;

import dev.loupe.core.kernels.Activation;
import dev.loupe.core.kernels.Rotary;
import dev.loupe.model.hooks.Dim;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The shape and wiring of a hooked transformer, independent of the checkpoint format it came from.
 * Architecture adapters fill it from a Hugging Face config.json or a llama2.c header, through
 * {@link #builder(String)} (named settings with defaults; the record's positional constructor is for the
 * builder only).
 *
 * @param architecture the checkpoint's architecture name, e.g. "LlamaForCausalLM"
 * @param dHead width of one attention head; independent of d_model / n_heads (Gemma, Qwen 3)
 * @param nCtx longest sequence the model was trained for (learned position tables have this many rows)
 * @param nKvHeads key/value heads (grouped-query attention when fewer than nHeads)
 * @param dMlp hidden width of the MLP; 0 for an attention-only model (no MLP and no ln2 in any block)
 * @param norm LayerNorm, RMSNorm or Gemma's RMSNorm with gain (1 + w)
 * @param positions how position enters: learned table added to the embedding, or rotary in attention
 * @param activation MLP non-linearity (applied to the gate projection when {@code gatedMlp})
 * @param gatedMlp act(gate(x)) * up(x) as in Llama, instead of act(in(x))
 * @param parallelResidual attention and MLP both read the block input (GPT-NeoX/Pythia)
 * @param postNorm LayerNorm after each residual addition (BERT) instead of before each sublayer
 * @param causal decoder (true) or bidirectional encoder (false)
 * @param finalNorm whether a final norm precedes the unembedding (decoders) — encoders end on a block
 * @param hasUnembed whether the model maps the final residual to vocabulary logits
 * @param layers per block: which attention it runs (global or sliding window) and its rotary table
 * @param sublayerPostNorms a norm on each sublayer's output before it joins the residual (Gemma 2/3:
 *     {@code ln1_post} after attention, {@code ln2_post} after the MLP)
 * @param qkNorm per-head norms of queries and keys over d_head, before rotary (Gemma 3, Qwen 3)
 * @param embedScale factor on the token embeddings (Gemma: sqrt(d_model)); 1 for none
 * @param attnScale factor on query·key (1/sqrt(d_head) by default; Gemma: query_pre_attn_scalar^-0.5)
 * @param attnSoftcap scores become cap·tanh(scores / cap) before masking (Gemma 2); 0 for none
 * @param finalSoftcap logits become cap·tanh(logits / cap) (Gemma 2); 0 for none
 */
public record TransformerConfig(
        String architecture,
        int dModel,
        int nLayers,
        int nHeads,
        int nKvHeads,
        int dHead,
        int dMlp,
        int dVocab,
        int nCtx,
        NormKind norm,
        float normEps,
        Positions positions,
        Activation activation,
        boolean gatedMlp,
        boolean parallelResidual,
        boolean postNorm,
        boolean causal,
        boolean finalNorm,
        boolean hasUnembed,
        List<LayerAttention> layers,
        boolean sublayerPostNorms,
        boolean qkNorm,
        float embedScale,
        float attnScale,
        float attnSoftcap,
        float finalSoftcap) {

    public enum NormKind {
        LAYER_NORM,
        RMS_NORM,
        /** Gemma's RMSNorm: x · rsqrt(mean x² + eps) · (1 + w); the checkpoint stores w. */
        GEMMA_RMS_NORM;

        /** Whether the mean is subtracted (LayerNorm) before scaling. */
        public boolean centered() {
            return this == LAYER_NORM;
        }

        /** What is added to the stored gain w to give the factor applied: 1 for Gemma (1 + w), else 0. */
        public float gainOffset() {
            return this == GEMMA_RMS_NORM ? 1f : 0f;
        }
    }

    public enum Positions { LEARNED, ROTARY }

    /**
     * How one block attends.
     *
     * @param window keys a query sees, itself included (a sliding window: query q sees q-window+1 … q); 0 for
     *     global attention
     * @param rotary the rotary table this block's queries and keys are rotated with (blocks may share one), or
     *     null for none
     */
    public record LayerAttention(int window, Rotary rotary) {
        public static final LayerAttention GLOBAL = new LayerAttention(0, null);

        public LayerAttention {
            if (window < 0) throw new IllegalArgumentException("model config: sliding window must be positive, got " + window);
        }

        public boolean local() {
            return window > 0;
        }
    }

    public TransformerConfig {
        require(dModel > 0, "d_model must be positive");
        require(nLayers > 0, "n_layers must be positive");
        require(nHeads > 0 && nKvHeads > 0 && nHeads % nKvHeads == 0,
                "n_heads (" + nHeads + ") must be a positive multiple of n_kv_heads (" + nKvHeads + ")");
        require(dHead > 0, "d_head must be positive");
        require(dVocab > 0, "d_vocab must be positive");
        require(dMlp >= 0, "d_mlp must be non-negative (0 means attention-only)");
        require(dMlp > 0 || !(parallelResidual || postNorm || sublayerPostNorms),
                "an attention-only model (d_mlp 0) needs the sequential pre-norm residual");
        require(!(postNorm && sublayerPostNorms), "post-norm blocks (BERT) cannot also have sublayer post-norms");
        require(layers.size() == nLayers, "attention is specified for " + layers.size() + " blocks but there are " + nLayers);
        layers = List.copyOf(layers);
        for (int l = 0; l < nLayers; l++) {
            LayerAttention a = layers.get(l);
            require(positions == Positions.ROTARY || a.rotary() == null, "block " + l + " has a rotary table but positions are learned");
            require(a.rotary() == null || a.rotary().rotaryDim() <= dHead,
                    "block " + l + ": rotary dim " + (a.rotary() == null ? 0 : a.rotary().rotaryDim()) + " exceeds d_head " + dHead);
            require(!a.local() || causal, "block " + l + ": a sliding window needs causal attention");
        }
        require(embedScale > 0 && attnScale > 0, "embedding and attention scales must be positive");
        require(attnSoftcap >= 0 && finalSoftcap >= 0, "soft-caps must be positive (or 0 for none)");
    }

    public static Builder builder(String architecture) {
        return new Builder(architecture);
    }

    /** A builder holding this configuration's settings, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder(architecture).dModel(dModel).nLayers(nLayers).nHeads(nHeads).nKvHeads(nKvHeads).dHead(dHead)
                .dMlp(dMlp).dVocab(dVocab).nCtx(nCtx).norm(norm, normEps).positions(positions).activation(activation)
                .gatedMlp(gatedMlp).parallelResidual(parallelResidual).postNorm(postNorm).causal(causal).finalNorm(finalNorm)
                .hasUnembed(hasUnembed).layers(layers).sublayerPostNorms(sublayerPostNorms).qkNorm(qkNorm)
                .embedScale(embedScale).attnSoftcap(attnSoftcap).finalSoftcap(finalSoftcap);
        b.attnScale = attnScale;
        return b;
    }

    /** Attention-only blocks (as in "A Mathematical Framework for Transformer Circuits"): resid_post = resid_pre + attn_out. */
    public boolean attnOnly() {
        return dMlp == 0;
    }

    /** The size of a model axis of hook activations; -1 for the batch and sequence axes, which depend on the input. */
    public int size(Dim dim) {
        return switch (dim) {
            case BATCH, POS, QUERY_POS, KEY_POS -> -1;
            case N_HEADS -> nHeads;
            case N_KV_HEADS -> nKvHeads;
            case D_HEAD -> dHead;
            case D_MODEL -> dModel;
            case D_MLP -> dMlp;
        };
    }

    /** How block {@code layer} attends. */
    public LayerAttention attention(int layer) {
        return layers.get(layer);
    }

    /** The distinct rotary tables of the model, in block order (empty for learned positions). */
    public List<Rotary> rotaryTables() {
        List<Rotary> out = new ArrayList<>();
        for (LayerAttention a : layers) {
            if (a.rotary() != null && out.stream().noneMatch(r -> r == a.rotary())) out.add(a.rotary());
        }
        return out;
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("model config: " + message);
    }

    /**
     * Named settings with defaults: a causal pre-norm decoder with a final norm and an unembedding, LayerNorm
     * (eps 1e-5), learned positions, one K/V head per query head, d_head = d_model / n_heads, ungated MLP,
     * global attention in every block, no post-norms, q/k norms, scales or soft-caps.
     * {@link #rotary(Rotary)} switches to rotary positions with one table for every block.
     */
    public static final class Builder {
        private final String architecture;
        private int dModel, nLayers, nHeads, nKvHeads = -1, dHead = -1, dMlp, dVocab, nCtx;
        private NormKind norm = NormKind.LAYER_NORM;
        private float normEps = 1e-5f;
        private Positions positions = Positions.LEARNED;
        private Activation activation = Activation.GELU_TANH;
        private boolean gatedMlp, parallelResidual, postNorm, causal = true, finalNorm = true, hasUnembed = true;
        private List<LayerAttention> layers;
        private Rotary rotary;
        private boolean sublayerPostNorms, qkNorm;
        private float embedScale = 1f, attnScale = -1f, attnSoftcap, finalSoftcap;

        private Builder(String architecture) {
            this.architecture = architecture;
        }

        public Builder dModel(int v) { dModel = v; return this; }

        public Builder nLayers(int v) { nLayers = v; return this; }

        public Builder nHeads(int v) { nHeads = v; return this; }

        /** Key/value heads; defaults to n_heads. */
        public Builder nKvHeads(int v) { nKvHeads = v; return this; }

        /** Width of one head; defaults to d_model / n_heads. */
        public Builder dHead(int v) { dHead = v; return this; }

        public Builder dMlp(int v) { dMlp = v; return this; }

        public Builder dVocab(int v) { dVocab = v; return this; }

        public Builder nCtx(int v) { nCtx = v; return this; }

        public Builder norm(NormKind kind, float eps) { norm = kind; normEps = eps; return this; }

        public Builder positions(Positions v) { positions = v; return this; }

        /** Rotary positions, {@code table} in every block that {@link #layers} does not set otherwise. */
        public Builder rotary(Rotary table) { positions = Positions.ROTARY; rotary = table; return this; }

        public Builder activation(Activation v) { activation = v; return this; }

        public Builder gatedMlp(boolean v) { gatedMlp = v; return this; }

        public Builder parallelResidual(boolean v) { parallelResidual = v; return this; }

        public Builder postNorm(boolean v) { postNorm = v; return this; }

        public Builder causal(boolean v) { causal = v; return this; }

        public Builder finalNorm(boolean v) { finalNorm = v; return this; }

        public Builder hasUnembed(boolean v) { hasUnembed = v; return this; }

        /** Per-block attention; defaults to global attention with the {@link #rotary} table in every block. */
        public Builder layers(List<LayerAttention> v) { layers = v; return this; }

        public Builder sublayerPostNorms(boolean v) { sublayerPostNorms = v; return this; }

        public Builder qkNorm(boolean v) { qkNorm = v; return this; }

        public Builder embedScale(float v) { embedScale = v; return this; }

        /** The factor on query·key; defaults to 1/sqrt(d_head). */
        public Builder attnScale(float v) { attnScale = v; return this; }

        public Builder attnSoftcap(float v) { attnSoftcap = v; return this; }

        public Builder finalSoftcap(float v) { finalSoftcap = v; return this; }

        public TransformerConfig build() {
            require(nHeads > 0, "n_heads must be positive");
            int kv = nKvHeads < 0 ? nHeads : nKvHeads;
            int dh = dHead < 0 ? dModel / nHeads : dHead;
            require(dHead >= 0 || dModel % nHeads == 0, "d_model " + dModel + " is not divisible by n_heads " + nHeads + " (give d_head)");
            List<LayerAttention> l = layers;
            if (l == null) {
                LayerAttention each = new LayerAttention(0, rotary);
                l = Collections.nCopies(Math.max(nLayers, 0), each);
            }
            float scale = attnScale > 0 ? attnScale : (float) (1.0 / Math.sqrt(dh));
            return new TransformerConfig(architecture, dModel, nLayers, nHeads, kv, dh, dMlp, dVocab, nCtx, norm, normEps,
                    positions, activation, gatedMlp, parallelResidual, postNorm, causal, finalNorm, hasUnembed, l,
                    sublayerPostNorms, qkNorm, embedScale, scale, attnSoftcap, finalSoftcap);
        }
    }
}
