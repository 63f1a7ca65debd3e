package dev.loupe.model;

import dev.loupe.core.kernels.Activation;

/**
 * The shape and wiring of a hooked transformer, independent of the checkpoint format it came from.
 * Architecture adapters fill it from a Hugging Face config.json or a llama2.c header.
 *
 * @param architecture the checkpoint's architecture name, e.g. "LlamaForCausalLM"
 * @param nCtx longest sequence the model was trained for (learned position tables have this many rows)
 * @param nKvHeads key/value heads (grouped-query attention when fewer than nHeads)
 * @param dMlp hidden width of the MLP; 0 for an attention-only model (no MLP and no ln2 in any block)
 * @param norm LayerNorm or RMSNorm
 * @param positions how position enters: learned table added to the embedding, or rotary in attention
 * @param activation MLP non-linearity (applied to the gate projection when {@code gatedMlp})
 * @param gatedMlp act(gate(x)) * up(x) as in Llama, instead of act(in(x))
 * @param parallelResidual attention and MLP both read the block input (GPT-NeoX/Pythia)
 * @param postNorm LayerNorm after each residual addition (BERT) instead of before each sublayer
 * @param causal decoder (true) or bidirectional encoder (false)
 * @param finalNorm whether a final norm precedes the unembedding (decoders) — encoders end on a block
 * @param hasUnembed whether the model maps the final residual to vocabulary logits
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
        boolean hasUnembed) {

    public enum NormKind { LAYER_NORM, RMS_NORM }

    public enum Positions { LEARNED, ROTARY }

    public TransformerConfig {
        require(dModel > 0, "d_model must be positive");
        require(nLayers > 0, "n_layers must be positive");
        require(nHeads > 0 && nKvHeads > 0 && nHeads % nKvHeads == 0,
                "n_heads (" + nHeads + ") must be a positive multiple of n_kv_heads (" + nKvHeads + ")");
        require(dHead > 0, "d_head must be positive");
        require(dVocab > 0, "d_vocab must be positive");
        require(dMlp >= 0, "d_mlp must be non-negative (0 means attention-only)");
        require(dMlp > 0 || !(parallelResidual || postNorm), "an attention-only model (d_mlp 0) needs the sequential pre-norm residual");
    }

    /** Attention-only blocks (as in "A Mathematical Framework for Transformer Circuits"): resid_post = resid_pre + attn_out. */
    public boolean attnOnly() {
        return dMlp == 0;
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("model config: " + message);
    }
}
