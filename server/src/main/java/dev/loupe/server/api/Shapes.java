package dev.loupe.server.api;

import dev.loupe.model.TransformerConfig;
import dev.loupe.model.hooks.HookSpec;

/** Concrete shapes of one row of a hook's activation (batch axis removed) for an input of {@code pos} tokens. */
final class Shapes {
    private Shapes() {}

    static int[] row(TransformerConfig cfg, HookSpec spec, int pos) {
        var dims = spec.site().dims();
        int[] out = new int[dims.size() - 1];
        for (int i = 1; i < dims.size(); i++) out[i - 1] = dims.get(i).positional() ? pos : cfg.size(dims.get(i));
        return out;
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }
}
