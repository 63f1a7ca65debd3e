package dev.loupe.model;

import dev.loupe.model.TransformerConfig.Positions;
import dev.loupe.model.hooks.Dim;
import dev.loupe.model.hooks.HookIndex;
import dev.loupe.model.hooks.HookIndex.Placement;
import dev.loupe.model.hooks.Site;
import java.util.ArrayList;
import java.util.List;

/**
 * The hook points a configuration's forward pass reaches, in order, with their shapes: the one table the hook
 * list, the shapes the server and interventions use, and the forward itself read. The forward takes each
 * optional step (learned positions, q/k norms, rotary, post-norms, the mid-block residual, the MLP, the final
 * norm) exactly when this table lists its hook point (see {@link HookedTransformer}), and firing a point the
 * table lacks is an error, so a hook cannot be listed in one place and missed in another.
 */
final class HookPlan {
    private HookPlan() {}

    static HookIndex index(TransformerConfig cfg, TransformerWeights.Embedding embed) {
        return new HookIndex(order(cfg, embed), cfg.nLayers(), site -> shape(cfg, site));
    }

    /** Hook points in the order this configuration's forward pass reaches them. */
    static List<Placement> order(TransformerConfig cfg, TransformerWeights.Embedding embed) {
        List<Placement> order = new ArrayList<>();
        order.add(new Placement(Site.EMBED, -1));
        if (cfg.positions() == Positions.LEARNED) order.add(new Placement(Site.POS_EMBED, -1));
        if (embed.tokenTypes() != null) order.add(new Placement(Site.TOKEN_TYPE_EMBED, -1));
        if (embed.norm() != null) order.add(new Placement(Site.EMBED_LN, -1));
        for (int l = 0; l < cfg.nLayers(); l++) for (Site s : block(cfg, l)) order.add(new Placement(s, l));
        if (cfg.finalNorm()) order.add(new Placement(Site.LN_FINAL, -1));
        return order;
    }

    /** The points of block {@code l}, in forward order. */
    static List<Site> block(TransformerConfig cfg, int l) {
        List<Site> attn = new ArrayList<>(List.of(Site.Q, Site.K, Site.V));
        if (cfg.qkNorm()) attn.addAll(List.of(Site.Q_NORM, Site.K_NORM));
        if (cfg.attention(l).rotary() != null) attn.addAll(List.of(Site.ROT_Q, Site.ROT_K));
        attn.addAll(List.of(Site.ATTN_SCORES, Site.PATTERN, Site.Z));
        if (cfg.sublayerPostNorms()) attn.add(Site.LN1_POST);
        attn.add(Site.ATTN_OUT);
        List<Site> mlp = new ArrayList<>(cfg.gatedMlp()
                ? List.of(Site.MLP_PRE, Site.MLP_PRE_LINEAR, Site.MLP_POST)
                : List.of(Site.MLP_PRE, Site.MLP_POST));
        if (cfg.sublayerPostNorms()) mlp.add(Site.LN2_POST);
        mlp.add(Site.MLP_OUT);

        List<Site> block = new ArrayList<>();
        block.add(Site.RESID_PRE);
        if (cfg.postNorm()) {
            block.addAll(attn);
            block.addAll(List.of(Site.RESID_MID, Site.LN1));
            block.addAll(mlp);
            block.addAll(List.of(Site.RESID_POST, Site.LN2));
        } else if (cfg.attnOnly()) {
            block.add(Site.LN1);
            block.addAll(attn);
            block.add(Site.RESID_POST);
        } else {
            block.add(Site.LN1);
            block.addAll(attn);
            if (!cfg.parallelResidual()) block.add(Site.RESID_MID);
            block.add(Site.LN2);
            block.addAll(mlp);
            block.add(Site.RESID_POST);
        }
        return block;
    }

    /** The shape of a point with this model's sizes, e.g. {@code [batch, pos, n_heads=4, d_head=16]}. */
    static String shape(TransformerConfig cfg, Site site) {
        List<String> parts = new ArrayList<>();
        for (Dim d : site.dims()) parts.add(cfg.size(d) < 0 ? d.label() : d.label() + "=" + cfg.size(d));
        return "[" + String.join(", ", parts) + "]";
    }
}
