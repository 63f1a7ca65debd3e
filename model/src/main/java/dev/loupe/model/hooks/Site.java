package dev.loupe.model.hooks;

/**
 * The kinds of hook point, named as TransformerLens names them. Block-level names contain
 * {@code {l}}, replaced by the layer index. Each kind lists its axes ({@link Dim}), from which every shape of it is derived.
 */
public enum Site {
    EMBED("hook_embed", Dim.BATCH, Dim.POS, Dim.D_MODEL),
    POS_EMBED("hook_pos_embed", Dim.BATCH, Dim.POS, Dim.D_MODEL),
    TOKEN_TYPE_EMBED("hook_token_type_embed", Dim.BATCH, Dim.POS, Dim.D_MODEL),
    EMBED_LN("embed.ln.hook_normalized", Dim.BATCH, Dim.POS, Dim.D_MODEL),
    RESID_PRE("blocks.{l}.hook_resid_pre", Dim.BATCH, Dim.POS, Dim.D_MODEL),
    LN1("blocks.{l}.ln1.hook_normalized", Dim.BATCH, Dim.POS, Dim.D_MODEL),
    Q("blocks.{l}.attn.hook_q", Dim.BATCH, Dim.POS, Dim.N_HEADS, Dim.D_HEAD),
    K("blocks.{l}.attn.hook_k", Dim.BATCH, Dim.POS, Dim.N_KV_HEADS, Dim.D_HEAD),
    V("blocks.{l}.attn.hook_v", Dim.BATCH, Dim.POS, Dim.N_KV_HEADS, Dim.D_HEAD),
    Q_NORM("blocks.{l}.attn.q_norm.hook_normalized", Dim.BATCH, Dim.POS, Dim.N_HEADS, Dim.D_HEAD),
    K_NORM("blocks.{l}.attn.k_norm.hook_normalized", Dim.BATCH, Dim.POS, Dim.N_KV_HEADS, Dim.D_HEAD),
    ROT_Q("blocks.{l}.attn.hook_rot_q", Dim.BATCH, Dim.POS, Dim.N_HEADS, Dim.D_HEAD),
    ROT_K("blocks.{l}.attn.hook_rot_k", Dim.BATCH, Dim.POS, Dim.N_KV_HEADS, Dim.D_HEAD),
    ATTN_SCORES("blocks.{l}.attn.hook_attn_scores", Dim.BATCH, Dim.N_HEADS, Dim.QUERY_POS, Dim.KEY_POS),
    PATTERN("blocks.{l}.attn.hook_pattern", Dim.BATCH, Dim.N_HEADS, Dim.QUERY_POS, Dim.KEY_POS),
    Z("blocks.{l}.attn.hook_z", Dim.BATCH, Dim.POS, Dim.N_HEADS, Dim.D_HEAD),
    LN1_POST("blocks.{l}.ln1_post.hook_normalized", Dim.BATCH, Dim.POS, Dim.D_MODEL),
    ATTN_OUT("blocks.{l}.hook_attn_out", Dim.BATCH, Dim.POS, Dim.D_MODEL),
    RESID_MID("blocks.{l}.hook_resid_mid", Dim.BATCH, Dim.POS, Dim.D_MODEL),
    LN2("blocks.{l}.ln2.hook_normalized", Dim.BATCH, Dim.POS, Dim.D_MODEL),
    MLP_PRE("blocks.{l}.mlp.hook_pre", Dim.BATCH, Dim.POS, Dim.D_MLP),
    MLP_PRE_LINEAR("blocks.{l}.mlp.hook_pre_linear", Dim.BATCH, Dim.POS, Dim.D_MLP),
    MLP_POST("blocks.{l}.mlp.hook_post", Dim.BATCH, Dim.POS, Dim.D_MLP),
    LN2_POST("blocks.{l}.ln2_post.hook_normalized", Dim.BATCH, Dim.POS, Dim.D_MODEL),
    MLP_OUT("blocks.{l}.hook_mlp_out", Dim.BATCH, Dim.POS, Dim.D_MODEL),
    RESID_POST("blocks.{l}.hook_resid_post", Dim.BATCH, Dim.POS, Dim.D_MODEL),
    LN_FINAL("ln_final.hook_normalized", Dim.BATCH, Dim.POS, Dim.D_MODEL);

    private final String template;
    private final java.util.List<Dim> dims;

    Site(String template, Dim... dims) {
        this.template = template;
        this.dims = java.util.List.of(dims);
    }

    public boolean perLayer() {
        return template.contains("{l}");
    }

    /** The hook's full name at layer {@code layer} (ignored for model-level sites). */
    public String name(int layer) {
        return template.replace("{l}", Integer.toString(layer));
    }

    /** The activation's axes in order, batch first. */
    public java.util.List<Dim> dims() {
        return dims;
    }

    /** Shape in TransformerLens dimension names, e.g. {@code [batch, pos, d_model]}. */
    public String shape() {
        return dims.stream().map(Dim::label).collect(java.util.stream.Collectors.joining(", ", "[", "]"));
    }

    /** Index of the first axis of {@code kind} after the batch axis (in a row with the batch axis removed), or -1. */
    public int rowAxis(java.util.function.Predicate<Dim> kind) {
        for (int i = 1; i < dims.size(); i++) if (kind.test(dims.get(i))) return i - 1;
        return -1;
    }
}
