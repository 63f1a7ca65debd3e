package dev.loupe.server.api;

import dev.loupe.model.TransformerConfig;
import dev.loupe.model.hooks.HookSpec;

/** Concrete shapes of one row of a hook's activation (batch axis removed) for an input of {@code pos} tokens. */
final class Shapes {
    private Shapes() {}

    static int[] row(TransformerConfig cfg, HookSpec spec, int pos) {
        String dims = spec.site().shape().replaceAll("[\\[\\]\\s]", "");
        String[] names = dims.split(",");
        int[] out = new int[names.length - 1];
        for (int i = 1; i < names.length; i++) {
            out[i - 1] = switch (names[i]) {
                case "pos", "query_pos", "key_pos" -> pos;
                case "d_model" -> cfg.dModel();
                case "n_heads" -> cfg.nHeads();
                case "n_kv_heads" -> cfg.nKvHeads();
                case "d_head" -> cfg.dHead();
                case "d_mlp" -> cfg.dMlp();
                default -> throw new IllegalStateException("unknown dimension " + names[i] + " in " + spec);
            };
        }
        return out;
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }
}
