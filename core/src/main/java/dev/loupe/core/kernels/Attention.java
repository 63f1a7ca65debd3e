package dev.loupe.core.kernels;

import dev.loupe.core.Parallel;
import java.util.Arrays;

/**
 * Scaled dot-product attention over [batch, pos] with grouped key/value heads.
 *
 * <p>Queries are [batch, pos, heads, headDim]; keys and values are [batch, keyCapacity, kvHeads, headDim]
 * of which the first {@code keys} positions are valid (a KV cache has spare capacity). Query p sits at
 * absolute position {@code keys - pos + p}; with {@code causal} it sees keys 0..that position, and with a
 * sliding {@code window} only the last {@code window} of those. Query head h reads key/value head
 * {@code h / (heads / kvHeads)}. A {@code softcap} c turns each scaled score s into c·tanh(s / c) before masking.
 *
 * <p>Two ways to run: {@link #scores} + {@link Softmax} + {@link #mix} materialise the
 * [batch, heads, pos, keys] scores and pattern (for hooks and gradients), while {@link #attend} streams
 * blocks of {@link #QUERY_BLOCK} queries of one head through a scratch [block, keys] and never holds more.
 * Both compute every query block with the same calls, so they give the same bits.
 */
public final class Attention {
    /**
     * Key positions the kernels sum over in blocks of: a key range that starts at a multiple of this (with the keys
     * before it masked) gives the bits of the range starting at 0, so a caller may drop whole masked blocks.
     */
    public static final int KEY_BLOCK = Sgemm.KC;
    /** Queries per streamed block: the scratch is QUERY_BLOCK x keys floats per thread. */
    static final int QUERY_BLOCK = 64;
    /** Floats per vector in {@link Softmax}: a key range that starts and ends on whole vectors sums as the full row does. */
    private static final int LANES = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();

    private Attention() {}

    /** Shape of one attention call; {@code window} 0 for none, {@code softcap} 0 for none. */
    public record Dims(int batch, int pos, int keys, int keyCapacity, int heads, int kvHeads, int headDim, boolean causal,
            int window, float softcap) {
        public Dims {
            if (kvHeads <= 0 || heads % kvHeads != 0) {
                throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kv heads (" + kvHeads + ")");
            }
            if (keys < pos || keys > keyCapacity) {
                throw new IllegalArgumentException("keys " + keys + " must be within [pos " + pos + ", capacity " + keyCapacity + "]");
            }
            if (window < 0 || (window > 0 && !causal)) throw new IllegalArgumentException("a sliding window (" + window + ") needs causal attention");
            if (!(softcap >= 0)) throw new IllegalArgumentException("softcap must be positive or 0, got " + softcap);
        }

        /** Global attention, no soft-cap. */
        public Dims(int batch, int pos, int keys, int keyCapacity, int heads, int kvHeads, int headDim, boolean causal) {
            this(batch, pos, keys, keyCapacity, heads, kvHeads, headDim, causal, 0, 0f);
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

        /** End (exclusive) of the keys query p may attend to. */
        int visible(int p) {
            return causal ? keys - pos + p + 1 : keys;
        }

        /** First key query p may attend to. */
        int firstVisible(int p) {
            return window > 0 ? Math.max(0, visible(p) - window) : 0;
        }
    }

    /** scores[b, h, p, j] = scale * q[b,p,h]·k[b,j,kvHead(h)] (soft-capped), -inf where masked. */
    public static void scores(float[] q, float[] k, Dims d, float scale, float[] scores) {
        Parallel.forRange(d.batch() * d.heads(), 1, (lo, hi) -> {
            for (int bh = lo; bh < hi; bh++) {
                int off = bh * d.pos() * d.keys();
                for (int p0 = 0; p0 < d.pos(); p0 += QUERY_BLOCK) {
                    int n = Math.min(QUERY_BLOCK, d.pos() - p0);
                    scoresBlock(q, k, d, bh / d.heads(), bh % d.heads(), p0, n, 0, d.keys(), scale, scores, off + p0 * d.keys());
                }
            }
        });
    }

    /** z[b, p, h] = sum_j pattern[b, h, p, j] * v[b, j, kvHead(h)]. */
    public static void mix(float[] pattern, float[] v, Dims d, float[] z) {
        Parallel.forRange(d.batch() * d.heads(), 1, (lo, hi) -> {
            for (int bh = lo; bh < hi; bh++) {
                int off = bh * d.pos() * d.keys();
                for (int p0 = 0; p0 < d.pos(); p0 += QUERY_BLOCK) {
                    int n = Math.min(QUERY_BLOCK, d.pos() - p0);
                    mixBlock(pattern, off + p0 * d.keys(), d.keys(), v, d, bh / d.heads(), bh % d.heads(), p0, n, 0, d.keys(), z);
                }
            }
        });
    }

    /**
     * Fused scores → softmax → mix, one block of queries of one head at a time, so memory is
     * {@link #QUERY_BLOCK} x keys per thread whatever the prompt length; z is [batch, pos, heads, headDim].
     * A block of more than {@link Sgemm#SMALL_M_BT} queries computes only the keys its rows can see (from the first
     * visible key, rounded down to a multiple of {@link Sgemm#KC}, to the last, rounded up to whole vectors): the
     * keys left out hold exact zeros of the pattern, and the bounds keep every summation in the order the full row
     * uses, so the result has the bits of {@link #scores} + {@link Softmax} + {@link #mix} while causal attention
     * does about half the work and a sliding window only what the window needs.
     */
    public static void attend(float[] q, float[] k, float[] v, Dims d, float scale, float[] z) {
        Parallel.forRange(d.batch() * d.heads(), 1, (lo, hi) -> {
            float[] scratch = new float[Math.min(QUERY_BLOCK, d.pos()) * d.keys()];
            for (int bh = lo; bh < hi; bh++) {
                int b = bh / d.heads(), h = bh % d.heads();
                for (int p0 = 0; p0 < d.pos(); p0 += QUERY_BLOCK) {
                    int n = Math.min(QUERY_BLOCK, d.pos() - p0);
                    int k0 = 0, k1 = d.keys();
                    if (d.causal() && n > Sgemm.SMALL_M_BT) {
                        k0 = d.firstVisible(p0) / Sgemm.KC * Sgemm.KC;
                        k1 = Math.min(d.keys(), (d.visible(p0 + n - 1) + LANES - 1) / LANES * LANES);
                    }
                    int w = k1 - k0;
                    scoresBlock(q, k, d, b, h, p0, n, k0, k1, scale, scratch, 0);
                    for (int p = 0; p < n; p++) Softmax.row(scratch, p * w, scratch, p * w, w);
                    mixBlock(scratch, 0, w, v, d, b, h, p0, n, k0, k1, z);
                }
            }
        });
    }

    /**
     * The gradient of the scaled scores from the gradient of the soft-capped ones, in place: with s = c·tanh(x/c)
     * the factor is 1 - (s/c)²; masked entries (s = -inf) get 0.
     */
    public static void softcapBackward(float[] cappedScores, float[] grad, float cap) {
        for (int i = 0; i < grad.length; i++) {
            float s = cappedScores[i];
            if (s == Float.NEGATIVE_INFINITY) {
                grad[i] = 0f;
            } else {
                float t = s / cap;
                grad[i] *= 1f - t * t;
            }
        }
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

    /** Scores of queries [p0, p0 + n) of head (b, h) against keys [k0, k1) into out at outOff, rows of k1 - k0. */
    private static void scoresBlock(float[] q, float[] k, Dims d, int b, int h, int p0, int n, int k0, int k1, float scale,
            float[] out, int outOff) {
        int ld = d.heads() * d.headDim(), ldk = d.kvHeads() * d.headDim(), w = k1 - k0;
        Sgemm.sgemm(false, true, n, w, d.headDim(), scale, q, d.qOffset(b, h) + p0 * ld, ld,
                k, d.kvOffset(b, h) + k0 * ldk, ldk, 0f, out, outOff, w);
        for (int i = 0; i < n; i++) {
            int row = outOff + i * w;
            if (d.softcap() > 0) SoftCap.apply(out, row, w, d.softcap());
            if (d.causal()) {
                Arrays.fill(out, row, row + Math.max(0, d.firstVisible(p0 + i) - k0), Float.NEGATIVE_INFINITY);
                Arrays.fill(out, row + Math.min(w, d.visible(p0 + i) - k0), row + w, Float.NEGATIVE_INFINITY);
            }
        }
    }

    /** z rows [p0, p0 + n) of head (b, h) from pattern rows (width ldp) at pOff over keys [k0, k1). */
    private static void mixBlock(float[] pattern, int pOff, int ldp, float[] v, Dims d, int b, int h, int p0, int n, int k0, int k1,
            float[] z) {
        int ld = d.heads() * d.headDim(), ldv = d.kvHeads() * d.headDim();
        Sgemm.sgemm(false, false, n, d.headDim(), k1 - k0, 1f, pattern, pOff, ldp,
                v, d.kvOffset(b, h) + k0 * ldv, ldv, 0f, z, d.qOffset(b, h) + p0 * ld, ld);
    }
}
