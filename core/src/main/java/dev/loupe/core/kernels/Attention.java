package dev.loupe.core.kernels;

import dev.loupe.core.Parallel;
import java.util.Arrays;

/**
 * Scaled dot-product attention over [batch, pos] with grouped key/value heads.
 *
 * <p>Queries are [batch, pos, heads, headDim]; keys and values are [batch, keyCapacity, kvHeads, headDim]
 * of which the first {@code keys} positions are valid (a KV cache has spare capacity). Query p sits at
 * absolute position {@code keys - pos + p}; with {@code causal} it sees keys 0..that position.
 * Query head h reads key/value head {@code h / (heads / kvHeads)}.
 *
 * <p>Two ways to run: {@link #scores} + {@link Softmax} + {@link #mix} materialise the
 * [batch, heads, pos, keys] scores and pattern (for hooks and gradients), while {@link #attend} streams
 * one head at a time through a scratch row block and never holds the full pattern.
 */
public final class Attention {
    private Attention() {}

    /** Shape of one attention call. */
    public record Dims(int batch, int pos, int keys, int keyCapacity, int heads, int kvHeads, int headDim, boolean causal) {
        public Dims {
            if (kvHeads <= 0 || heads % kvHeads != 0) {
                throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kv heads (" + kvHeads + ")");
            }
            if (keys < pos || keys > keyCapacity) {
                throw new IllegalArgumentException("keys " + keys + " must be within [pos " + pos + ", capacity " + keyCapacity + "]");
            }
        }

        int kvHead(int h) {
            return h / (heads / kvHeads);
        }

        int qOffset(int b, int h) {
            return b * pos * heads * headDim + h * headDim;
        }

        int kvOffset(int b, int h) {
            return b * keyCapacity * kvHeads * headDim + kvHead(h) * headDim;
        }

        /** Number of keys query p may attend to. */
        int visible(int p) {
            return causal ? keys - pos + p + 1 : keys;
        }
    }

    /** scores[b, h, p, j] = scale * q[b,p,h]·k[b,j,kvHead(h)], -inf where causally masked. */
    public static void scores(float[] q, float[] k, Dims d, float scale, float[] scores) {
        Parallel.forRange(d.batch() * d.heads(), 1, (lo, hi) -> {
            for (int bh = lo; bh < hi; bh++) {
                scoresHead(q, k, d, bh / d.heads(), bh % d.heads(), scale, scores, bh * d.pos() * d.keys());
            }
        });
    }

    /** z[b, p, h] = sum_j pattern[b, h, p, j] * v[b, j, kvHead(h)]. */
    public static void mix(float[] pattern, float[] v, Dims d, float[] z) {
        Parallel.forRange(d.batch() * d.heads(), 1, (lo, hi) -> {
            for (int bh = lo; bh < hi; bh++) {
                mixHead(pattern, bh * d.pos() * d.keys(), v, d, bh / d.heads(), bh % d.heads(), z);
            }
        });
    }

    /** Fused scores → softmax → mix, one head at a time; z is [batch, pos, heads, headDim]. */
    public static void attend(float[] q, float[] k, float[] v, Dims d, float scale, float[] z) {
        Parallel.forRange(d.batch() * d.heads(), 1, (lo, hi) -> {
            float[] scratch = new float[d.pos() * d.keys()];
            for (int bh = lo; bh < hi; bh++) {
                int b = bh / d.heads(), h = bh % d.heads();
                scoresHead(q, k, d, b, h, scale, scratch, 0);
                for (int p = 0; p < d.pos(); p++) Softmax.row(scratch, p * d.keys(), scratch, p * d.keys(), d.keys());
                mixHead(scratch, 0, v, d, b, h, z);
            }
        });
    }

    /** Backward of {@link #scores} for queries: gq[b,p,h] = scale * sum_j gScores[b,h,p,j] k[b,j,kvHead(h)]. */
    public static void scoresGradQuery(float[] gScores, float[] k, Dims d, float scale, float[] gq) {
        int ld = d.heads() * d.headDim(), ldk = d.kvHeads() * d.headDim();
        Parallel.forRange(d.batch() * d.heads(), 1, (lo, hi) -> {
            for (int bh = lo; bh < hi; bh++) {
                int b = bh / d.heads(), h = bh % d.heads();
                Sgemm.sgemm(false, false, d.pos(), d.headDim(), d.keys(), scale, gScores, bh * d.pos() * d.keys(), d.keys(),
                        k, d.kvOffset(b, h), ldk, 0f, gq, d.qOffset(b, h), ld);
            }
        });
    }

    /** Backward of {@link #scores} for keys, summed over the query heads sharing each key head. */
    public static void scoresGradKey(float[] gScores, float[] q, Dims d, float scale, float[] gk) {
        perKvHead(d, (b, h) -> Sgemm.sgemm(true, false, d.keys(), d.headDim(), d.pos(), scale, gScores,
                (b * d.heads() + h) * d.pos() * d.keys(), d.keys(), q, d.qOffset(b, h), d.heads() * d.headDim(),
                1f, gk, d.kvOffset(b, h), d.kvHeads() * d.headDim()));
    }

    /** Backward of {@link #mix} for the pattern: gPattern[b,h,p,j] = gz[b,p,h]·v[b,j,kvHead(h)]. */
    public static void mixGradPattern(float[] gz, float[] v, Dims d, float[] gPattern) {
        int ld = d.heads() * d.headDim(), ldv = d.kvHeads() * d.headDim();
        Parallel.forRange(d.batch() * d.heads(), 1, (lo, hi) -> {
            for (int bh = lo; bh < hi; bh++) {
                int b = bh / d.heads(), h = bh % d.heads();
                Sgemm.sgemm(false, true, d.pos(), d.keys(), d.headDim(), 1f, gz, d.qOffset(b, h), ld,
                        v, d.kvOffset(b, h), ldv, 0f, gPattern, bh * d.pos() * d.keys(), d.keys());
            }
        });
    }

    /** Backward of {@link #mix} for values, summed over the query heads sharing each value head. */
    public static void mixGradValue(float[] gz, float[] pattern, Dims d, float[] gv) {
        perKvHead(d, (b, h) -> Sgemm.sgemm(true, false, d.keys(), d.headDim(), d.pos(), 1f, pattern,
                (b * d.heads() + h) * d.pos() * d.keys(), d.keys(), gz, d.qOffset(b, h), d.heads() * d.headDim(),
                1f, gv, d.kvOffset(b, h), d.kvHeads() * d.headDim()));
    }

    /** Runs body(b, h) for every query head, parallel over (batch, kv head) so each kv head has one writer. */
    private static void perKvHead(Dims d, java.util.function.BiConsumer<Integer, Integer> body) {
        int group = d.heads() / d.kvHeads();
        Parallel.forRange(d.batch() * d.kvHeads(), 1, (lo, hi) -> {
            for (int bk = lo; bk < hi; bk++) {
                int b = bk / d.kvHeads(), kvh = bk % d.kvHeads();
                for (int h = kvh * group; h < (kvh + 1) * group; h++) body.accept(b, h);
            }
        });
    }

    private static void scoresHead(float[] q, float[] k, Dims d, int b, int h, float scale, float[] out, int outOff) {
        int ld = d.heads() * d.headDim();
        int ldk = d.kvHeads() * d.headDim();
        Sgemm.sgemm(false, true, d.pos(), d.keys(), d.headDim(), scale, q, d.qOffset(b, h), ld,
                k, d.kvOffset(b, h), ldk, 0f, out, outOff, d.keys());
        if (d.causal()) {
            for (int p = 0; p < d.pos(); p++) {
                int row = outOff + p * d.keys();
                Arrays.fill(out, row + d.visible(p), row + d.keys(), Float.NEGATIVE_INFINITY);
            }
        }
    }

    private static void mixHead(float[] pattern, int pOff, float[] v, Dims d, int b, int h, float[] z) {
        int ld = d.heads() * d.headDim();
        int ldv = d.kvHeads() * d.headDim();
        Sgemm.sgemm(false, false, d.pos(), d.headDim(), d.keys(), 1f, pattern, pOff, d.keys(),
                v, d.kvOffset(b, h), ldv, 0f, z, d.qOffset(b, h), ld);
    }
}
