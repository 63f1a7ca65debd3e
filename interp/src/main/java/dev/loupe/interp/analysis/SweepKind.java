package dev.loupe.interp.analysis;

import dev.loupe.model.TransformerConfig;
import dev.loupe.model.hooks.Site;

/**
 * What a patching sweep patches, one cell at a time in every layer: the residual stream entering the
 * block at one position ({@code blocks.{l}.hook_resid_pre}), or one attention head's output at every
 * position ({@code blocks.{l}.attn.hook_z}).
 */
public enum SweepKind {
    RESIDUAL(Site.RESID_PRE, "position"),
    HEADS(Site.Z, "head");

    private final Site site;
    private final String cellName;

    SweepKind(Site site, String cellName) {
        this.site = site;
        this.cellName = cellName;
    }

    public Site site() {
        return site;
    }

    /** What one column of the sweep is: "position" or "head". */
    public String cellName() {
        return cellName;
    }

    /** Cells per layer: the prompt's positions, or the model's heads. */
    public int cells(TransformerConfig cfg, int positions) {
        return this == RESIDUAL ? positions : cfg.nHeads();
    }

    /** The patch region of {@code cell} for batch row {@code row}, copied from source row 0. */
    public ActivationPatch.Region region(int row, int cell) {
        return this == RESIDUAL
                ? new ActivationPatch.Region(row, 0, cell, ActivationPatch.ALL)
                : new ActivationPatch.Region(row, 0, ActivationPatch.ALL, cell);
    }
}
