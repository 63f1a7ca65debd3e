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
