package dev.loupe.model.hooks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A model's hook points in forward order, with lookup by name and by (layer, site). */
public final class HookIndex {
    private final List<HookSpec> specs;
    private final Map<String, HookSpec> byName = new HashMap<>();
    private final int[][] bySite; // [layer + 1][site] → index, -1 when absent; row 0 is model-level

    /** @param ordered (site, layer) pairs in forward order; layer -1 for model-level points */
    public HookIndex(List<Placement> ordered, int nLayers, java.util.function.Function<Site, String> shapeOf) {
        bySite = new int[nLayers + 1][Site.values().length];
        for (int[] row : bySite) java.util.Arrays.fill(row, -1);
        List<HookSpec> list = new ArrayList<>(ordered.size());
        for (Placement p : ordered) {
            HookSpec spec = new HookSpec(p.site().name(p.layer()), p.site(), p.layer(), list.size(), shapeOf.apply(p.site()));
            if (byName.put(spec.name(), spec) != null) throw new IllegalStateException("duplicate hook " + spec.name());
            bySite[p.layer() + 1][p.site().ordinal()] = spec.index();
            list.add(spec);
        }
        specs = Collections.unmodifiableList(list);
    }

    private HookIndex(List<HookSpec> ordered, int[][] bySite) {
        this.bySite = bySite;
        List<HookSpec> list = new ArrayList<>(ordered.size());
        for (HookSpec s : ordered) {
            HookSpec spec = new HookSpec(s.name(), s.site(), s.layer(), list.size(), s.shape());
            if (byName.put(spec.name(), spec) != null) throw new IllegalStateException("duplicate hook " + spec.name());
            if (s.site() != null) bySite[s.layer() + 1][s.site().ordinal()] = spec.index();
            list.add(spec);
        }
        specs = Collections.unmodifiableList(list);
    }

    /**
     * This index plus the hook points of a module attached at {@code parent} (e.g. an SAE spliced into
     * {@code blocks.2.hook_resid_post} exposing {@code blocks.2.hook_resid_post.hook_sae_acts_post}), placed
     * right after it in forward order. Attached points have no {@link Site} ({@code site() == null}); the
     * module fires them itself with {@link Hooks#fire(HookSpec, dev.loupe.core.Tensor, int)}. Hooks built on
     * the returned index run on the model as usual.
     *
     * @param names full names of the new points, in the order the module reaches them
     * @param shapes their shapes, parallel to names
     */
    public HookIndex withAttached(String parent, List<String> names, List<String> shapes) {
        HookSpec p = byName.get(parent);
        if (p == null) throw new IllegalArgumentException("cannot attach at unknown hook '" + parent + "'");
        List<HookSpec> ordered = new ArrayList<>(specs);
        List<HookSpec> added = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) added.add(new HookSpec(names.get(i), null, p.layer(), -1, shapes.get(i)));
        ordered.addAll(p.index() + 1, added);
        int[][] sites = new int[bySite.length][Site.values().length];
        for (int[] row : sites) java.util.Arrays.fill(row, -1);
        return new HookIndex(ordered, sites);
    }

    /** A hook kind at a layer (-1 for model-level). */
    public record Placement(Site site, int layer) {}

    public List<HookSpec> specs() {
        return specs;
    }

    public int size() {
        return specs.size();
    }

    /** Index of the hook point, or -1 when this model has no such point. */
    public int index(int layer, Site site) {
        return bySite[layer + 1][site.ordinal()];
    }

    public HookSpec get(String name) {
        return byName.get(name);
    }
}
