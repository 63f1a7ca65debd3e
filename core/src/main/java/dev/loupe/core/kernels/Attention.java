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
