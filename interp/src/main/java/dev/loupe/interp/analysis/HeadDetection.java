package dev.loupe.interp.analysis;

import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.ActivationCache;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;

/**
 * Scores every attention head for a {@link HeadDetector} from its attention patterns on given sequences,
 * and makes the standard probe for duplicate and induction heads: seeded repeated random token sequences.
 */
public final class HeadDetection {
    private HeadDetection() {}

    /** [n_layers, n_heads] scores of {@code detector} on {@code tokens} (rows of equal length). */
    public static Tensor scores(HookedTransformer model, int[][] tokens, HeadDetector detector) {
        int layers = model.config().nLayers(), heads = model.config().nHeads(), pos = tokens[0].length;
        ActivationCache cache = new ActivationCache();
        model.forward(tokens, dev.loupe.model.hooks.Hooks.builder(model.hooks()).cache(List.of("blocks.*.attn.hook_pattern"), cache).build(), null,
                dev.loupe.model.ForwardOptions.LAST_LOGITS);
        double[] sum = new double[layers * heads];
        long queries = 0;
        boolean[] mark = new boolean[pos];
        float[][] patterns = new float[layers][];
        for (int l = 0; l < layers; l++) patterns[l] = cache.get("blocks." + l + ".attn.hook_pattern").data(); // [batch, n_heads, pos, pos]
        for (int b = 0; b < tokens.length; b++) {
            for (int i = 0; i < pos; i++) {
                if (!detector.targets(tokens[b], i, mark)) continue;
                queries++;
                for (int l = 0; l < layers; l++) {
                    for (int h = 0; h < heads; h++) {
                        int row = ((b * heads + h) * pos + i) * pos;
                        double m = 0;
                        for (int j = 0; j < i; j++) if (mark[j]) m += patterns[l][row + j];
                        sum[l * heads + h] += m;
                    }
                }
            }
        }
        if (queries == 0) throw new IllegalArgumentException("no query position in the input has a target for the " + detector + " detector");
        float[] out = new float[sum.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) (sum[i] / queries);
        return Tensor.of(out, layers, heads);
    }

    /**
     * {@code samples} rows of [BOS?, r_1..r_n, r_1..r_n]: n tokens drawn uniformly (seeded) from the vocabulary
     * minus {@code exclude} (e.g. BOS, EOS), repeated once.
     */
    public static int[][] repeatedRandom(int vocab, int n, int samples, long seed, OptionalInt bos, int... exclude) {
        if (n < 2) throw new IllegalArgumentException("repeated sequences need n >= 2, got " + n);
        SplittableRandom rng = new SplittableRandom(seed);
        int off = bos.isPresent() ? 1 : 0;
        int[][] rows = new int[samples][off + 2 * n];
        for (int[] row : rows) {
            if (bos.isPresent()) row[0] = bos.getAsInt();
            for (int i = 0; i < n; i++) {
                int t;
                do {
                    t = rng.nextInt(vocab);
                } while (contains(exclude, t));
                row[off + i] = row[off + n + i] = t;
            }
        }
        return rows;
    }

    /** The median of a score grid: the baseline a detected head should stand well above. */
    public static double median(Tensor scores) {
        float[] s = scores.data().clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }
}
