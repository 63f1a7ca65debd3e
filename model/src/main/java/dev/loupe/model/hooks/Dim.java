package dev.loupe.model.hooks;

/**
 * A named axis of a hook's activation, as TransformerLens names it. A {@link Site} lists its axes in order; what
 * hook shapes, server shapes and intervention layouts say about an activation is read from that one list.
 */
public enum Dim {
    BATCH("batch"),
    POS("pos"),
    QUERY_POS("query_pos"),
    KEY_POS("key_pos"),
    N_HEADS("n_heads"),
    N_KV_HEADS("n_kv_heads"),
    D_HEAD("d_head"),
    D_MODEL("d_model"),
    D_MLP("d_mlp");

    private final String label;

    Dim(String label) {
        this.label = label;
    }

    /** The TransformerLens name, e.g. {@code d_model}. */
    public String label() {
        return label;
    }

    /** A sequence axis (its size is the number of positions in the input). */
    public boolean positional() {
        return this == POS || this == QUERY_POS || this == KEY_POS;
    }

    /** An attention-head axis. */
    public boolean heads() {
        return this == N_HEADS || this == N_KV_HEADS;
    }
}
