package dev.loupe.activations;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.HookPattern;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.model.hooks.Site;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hook points a collection records, with each one's vector width (the dimensions after
 * {@code [batch, pos]}, flattened: {@code hook_z} gives n_heads × d_head) and the last block the forward
 * pass must run. Only per-token hooks can be collected; attention scores and patterns are refused.
 */
public record HookSelection(List<HookSpec> specs, List<StoreManifest.Hook> hooks, int stopAfterLayer) {
    /** Resolves names or globs against {@code model}; an unknown hook is an error naming the nearest ones. */
    public static HookSelection resolve(HookedTransformer model, List<String> patterns) {
        if (patterns.isEmpty()) throw new IllegalArgumentException("at least one --hook is needed (e.g. blocks.0.hook_resid_post)");
        Map<String, HookSpec> chosen = new LinkedHashMap<>();
        for (String p : patterns) for (HookSpec s : HookPattern.select(model.hooks(), p)) chosen.put(s.name(), s);
        List<HookSpec> specs = new ArrayList<>(chosen.values());
        List<StoreManifest.Hook> hooks = new ArrayList<>();
        int last = 0;
        boolean full = false;
        for (HookSpec s : specs) {
            hooks.add(new StoreManifest.Hook(s.name(), width(s)));
            if (s.site() == Site.LN_FINAL) full = true;
            last = Math.max(last, s.layer());
        }
        return new HookSelection(List.copyOf(specs), List.copyOf(hooks), full ? -1 : last);
    }

    /**
     * The paired hooks a transcoder trains on, for {@code layers} ({@code all}, or comma-separated indices): each
     * layer's MLP input {@code blocks.L.ln2.hook_normalized} and output {@code blocks.L.hook_mlp_out}, inputs first
     * then outputs. A collection records all of a row's hooks from one forward pass, so the pairs are row-aligned.
     */
    public static List<String> mlpPairs(String layers, int nLayers) {
        List<Integer> chosen = new ArrayList<>();
        if (layers.equals("all")) for (int l = 0; l < nLayers; l++) chosen.add(l);
        else {
            for (String part : layers.split(",")) {
                int l;
                try {
                    l = Integer.parseInt(part.trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--mlp-pairs expects 'all' or layer indices like 0,2, got '" + layers + "'");
                }
                if (l < 0 || l >= nLayers) throw new IllegalArgumentException("--mlp-pairs: layer " + l + " is not in 0.." + (nLayers - 1));
                chosen.add(l);
            }
        }
        List<String> hooks = new ArrayList<>();
        for (int l : chosen) hooks.add(Site.LN2.name(l));
        for (int l : chosen) hooks.add(Site.MLP_OUT.name(l));
        return hooks;
    }

    /** Product of the sizes after [batch, pos] in the hook's shape, e.g. "[batch, pos, n_heads=4, d_head=16]" → 64. */
    static int width(HookSpec s) {
        String shape = s.shape().replaceAll("[\\[\\] ]", "");
        String[] dims = shape.split(",");
        if (dims.length < 3 || !dims[0].equals("batch") || !dims[1].equals("pos")) {
            throw new IllegalArgumentException("hook '" + s.name() + "' has shape " + s.shape()
                    + ", not one vector per token ([batch, pos, ...]); collect records per-token hooks only");
        }
        int d = 1;
        for (int i = 2; i < dims.length; i++) d *= Integer.parseInt(dims[i].substring(dims[i].indexOf('=') + 1));
        return d;
    }
}
