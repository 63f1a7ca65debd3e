package dev.loupe.model.hooks;

/**
 * The kinds of hook point, named as TransformerLens names them. Block-level names contain
 * {@code {l}}, replaced by the layer index. Shapes are written with TransformerLens's dimension names.
 */
public enum Site {
    EMBED("hook_embed", "[batch, pos, d_model]"),
    POS_EMBED("hook_pos_embed", "[batch, pos, d_model]"),
    TOKEN_TYPE_EMBED("hook_token_type_embed", "[batch, pos, d_model]"),
    EMBED_LN("embed.ln.hook_normalized", "[batch, pos, d_model]"),
    RESID_PRE("blocks.{l}.hook_resid_pre", "[batch, pos, d_model]"),
    LN1("blocks.{l}.ln1.hook_normalized", "[batch, pos, d_model]"),
    Q("blocks.{l}.attn.hook_q", "[batch, pos, n_heads, d_head]"),
    K("blocks.{l}.attn.hook_k", "[batch, pos, n_kv_heads, d_head]"),
    V("blocks.{l}.attn.hook_v", "[batch, pos, n_kv_heads, d_head]"),
    ROT_Q("blocks.{l}.attn.hook_rot_q", "[batch, pos, n_heads, d_head]"),
    ROT_K("blocks.{l}.attn.hook_rot_k", "[batch, pos, n_kv_heads, d_head]"),
    ATTN_SCORES("blocks.{l}.attn.hook_attn_scores", "[batch, n_heads, query_pos, key_pos]"),
    PATTERN("blocks.{l}.attn.hook_pattern", "[batch, n_heads, query_pos, key_pos]"),
    Z("blocks.{l}.attn.hook_z", "[batch, pos, n_heads, d_head]"),
    ATTN_OUT("blocks.{l}.hook_attn_out", "[batch, pos, d_model]"),
    RESID_MID("blocks.{l}.hook_resid_mid", "[batch, pos, d_model]"),
    LN2("blocks.{l}.ln2.hook_normalized", "[batch, pos, d_model]"),
    MLP_PRE("blocks.{l}.mlp.hook_pre", "[batch, pos, d_mlp]"),
    MLP_PRE_LINEAR("blocks.{l}.mlp.hook_pre_linear", "[batch, pos, d_mlp]"),
    MLP_POST("blocks.{l}.mlp.hook_post", "[batch, pos, d_mlp]"),
    MLP_OUT("blocks.{l}.hook_mlp_out", "[batch, pos, d_model]"),
    RESID_POST("blocks.{l}.hook_resid_post", "[batch, pos, d_model]"),
    LN_FINAL("ln_final.hook_normalized", "[batch, pos, d_model]");

    private final String template;
    private final String shape;

    Site(String template, String shape) {
        this.template = template;
        this.shape = shape;
    }

    public boolean perLayer() {
        return template.contains("{l}");
    }

    /** The hook's full name at layer {@code layer} (ignored for model-level sites). */
    public String name(int layer) {
        return template.replace("{l}", Integer.toString(layer));
    }

    /** Shape in TransformerLens dimension names, e.g. {@code [batch, pos, d_model]}. */
    public String shape() {
        return shape;
    }
}
