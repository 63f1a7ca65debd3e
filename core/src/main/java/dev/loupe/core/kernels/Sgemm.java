package dev.loupe.core.kernels;

import dev.loupe.core.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision general matrix multiply, BLAS semantics:
 * {@code C = alpha * op(A) * op(B) + beta * C}, row-major, where op(X) is X or its transpose.
 * Every matrix product in Loupe (linear layers, attention, backward passes) goes through here.
 *
 * <p>Large products use the classic Goto/BLIS scheme: the output is split between the cores, each
 * core packs cache-sized blocks of op(A) ({@link #MC} x {@link #KC}, held in L2) and op(B)
 * ({@link #KC} x {@link #NC}, held in L3) into contiguous panels (which is where transposes are
 * handled), and a register-tiled {@link #MR} x {@link #NR} Vector API micro-kernel sweeps them.
 * Products with very few rows (decoding one token) skip packing and stream B once as plain
 * dot products / axpys, since they are bound by memory bandwidth, not arithmetic.
 */
public final class Sgemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
    /** Half-width shorts: L 16-bit values, widened to one float vector. */
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    /** Full-width shorts: 2 L 16-bit values, read as L int pairs by the row kernels. */
    private static final VectorSpecies<Short> W = VectorSpecies.of(short.class, S.vectorShape());
    /** Tile positions of the even and odd columns of 2 L: {@code 2q} and {@code 2q + 1}. */
    private static final int[] EVEN = new int[L], ODD = new int[L];

    static {
        for (int q = 0; q < L; q++) {
            EVEN[q] = 2 * q;
            ODD[q] = 2 * q + 1;
        }
    }

    /**
     * Rows of the register tile. The micro-kernel keeps MR x 4 vector accumulators (24 of the 32 AVX-512
     * registers), so each k step does 4 vector loads of B and 6 broadcasts of A for 24 FMAs; measured
     * on Zen 5 this beat 8x2, 12x2, 14x2, 8x3 and 4x4 tiles by 5-25%, and also under AVX2.
     */
    static final int MR = 6;
    /** Columns of the register tile: four vectors. */
    static final int NR = 4 * L;
    /**
     * Depth of a packed block: one B micro-panel (KC x NR, 64 KiB with AVX-512) is reused from L1/L2
     * across the whole A block while the 6 KiB A micro-panels stream from L2.
     */
    static final int KC = 256;
    /** Rows of a packed A block (MC x KC floats, kept in L2); a multiple of MR. */
    static final int MC = 192;
    /** Columns of a packed B block (KC x NC floats, kept in L3); a multiple of NR. */
    static final int NC = 2048;
    /**
     * At most this many rows take the unpacked, bandwidth-bound path: with B stored [n, k] (linear
     * layers) it saves transposing B into panels, which costs more than the arithmetic up to ~8 rows;
     * with B stored [k, n] packing B is a plain copy, so the packed path takes over sooner.
     */
    static final int SMALL_M_BT = 8, SMALL_M_B = 4;
    /** Columns of C per block of {@link #gemmPacked}: an MC x NCP block of C (384 KiB) stays in L2 across depth blocks. */
    static final int NCP = 512;
    /** Below this many multiply-adds a product runs on the calling thread. */
    private static final long PARALLEL_MIN_WORK = 1L << 23;
    /**
     * Below this many elements of a packed weight a few-row product runs on the calling thread: above it, a
     * decode step's read of the weight (bandwidth-bound) is split between the cores.
     */
    private static final long PACKED_PARALLEL_MIN_WEIGHT = 1L << 18;
    /** Below this many elements of B a few-row product runs on the calling thread. */
    private static final long SMALL_PARALLEL_MIN_WORK = 1L << 21;

    /** Per-thread packing buffers, grown on demand and reused across calls. */
    private static final class Workspace {
        float[] a = new float[0];
        float[] b = new float[0];
        final float[] tile = new float[MR * NR];
        /** KC-deep blocks of two IEEE-half panels, widened to float32. */
        final float[] widened = new float[2 * KC * NR];

        float[] a(int size) {
            if (a.length < size) a = new float[size];
            return a;
        }

        float[] b(int size) {
            if (b.length < size) b = new float[size];
            return b;
        }
    }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private Sgemm() {}

    /**
     * @param transA op(A) = A^T; A is stored [k, m] with leading dimension lda, else [m, k]
     * @param transB op(B) = B^T; B is stored [n, k] with leading dimension ldb, else [k, n]
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0 || alpha == 0) {
            scale(m, n, beta, c, cOff, ldc);
            return;
        }
        // op(A)(i, p) = a[aOff + i * ars + p * aps]; op(B)(p, j) = b[bOff + j * brs + p * bps]
        int ars = transA ? 1 : lda, aps = transA ? lda : 1;
        int brs = transB ? ldb : 1, bps = transB ? 1 : ldb;
        if (m <= (transB ? SMALL_M_BT : SMALL_M_B)) {
            smallM(m, n, k, alpha, a, aOff, ars, aps, b, bOff, transB, ldb, beta, c, cOff, ldc);
            return;
        }
        boolean parallel = (long) m * n * k >= PARALLEL_MIN_WORK;
        // Split the dimension with more register tiles; each core then packs all of the other operand.
        if ((n + NR - 1) / NR >= (m + MR - 1) / MR) {
            Parallel.forRange(n, parallel ? NR : n, (j0, j1) -> blocked(0, m, j0, j1, k, alpha,
                    a, aOff, ars, aps, b, bOff, brs, bps, beta, c, cOff, ldc));
        } else {
            Parallel.forRange(m, parallel ? MR : m, (i0, i1) -> blocked(i0, i1, 0, n, k, alpha,
                    a, aOff, ars, aps, b, bOff, brs, bps, beta, c, cOff, ldc));
        }
    }

    /**
     * C = A · op(B) + bias for a prepacked op(B) [k, n]: A is [m, k] row-major with leading dimension lda,
     * bias is [n] or null, C [m, n] is overwritten. Every element is summed in one fixed order whatever m is
     * and however the work is split between cores: a fused multiply-add chain from zero over each
     * {@link #KC}-deep block of k, then C = ((bias + block 0) + block 1) + ... So a row's result is
     * bit-identical alone or among thousands of rows (batch invariance). Few-row products (decoding a
     * token) go through the same micro-kernel, bound by streaming the panels once from memory.
     */
    public static void gemmPacked(int m, float[] a, int aOff, int lda, PackedMatrix b, float[] bias,
                                  float[] c, int cOff, int ldc) {
        int n = b.n(), k = b.k();
        if (m <= 0 || n <= 0) return;
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                int row = cOff + i * ldc;
                if (bias == null) java.util.Arrays.fill(c, row, row + n, 0f);
                else System.arraycopy(bias, 0, c, row, n);
            }
            return;
        }
        boolean parallel = (long) m * n * k >= PARALLEL_MIN_WORK || (long) n * k >= PACKED_PARALLEL_MIN_WEIGHT;
        // Split columns while every core can then pack all of A in one MC block; else split the larger side.
        if (m <= MC || (n + NR - 1) / NR >= (m + MR - 1) / MR) {
            Parallel.forRange(n, parallel ? NR : n, (j0, j1) -> packedBlocked(0, m, j0, j1, a, aOff, lda, b, bias, c, cOff, ldc));
        } else {
            Parallel.forRange(m, parallel ? MR : m, (i0, i1) -> packedBlocked(i0, i1, 0, n, a, aOff, lda, b, bias, c, cOff, ldc));
        }
    }

    /** Rows of W widened per step of {@link #gemmPackedTransposed}: the depth of each partial product. */
    private static final int TRANSPOSED_ROWS = 4 * NR;

    /**
     * C = A · W for a prepacked op(B) = W^T [k, n]: A is [m, n] with leading dimension lda, C [m, k] is
     * overwritten. The backward pass of a linear layer through the weight's one packed copy: W is widened a
     * few rows at a time into a scratch block and multiplied in, in a fixed order (deterministic).
     */
    public static void gemmPackedTransposed(int m, float[] a, int aOff, int lda, PackedMatrix b, float[] c, int cOff, int ldc) {
        int n = b.n(), k = b.k();
        if (m <= 0 || k <= 0) return;
        if (n == 0) {
            scale(m, k, 0f, c, cOff, ldc);
            return;
        }
        float[] rows = new float[Math.min(TRANSPOSED_ROWS, n) * k];
        for (int j0 = 0; j0 < n; j0 += TRANSPOSED_ROWS) {
            int j1 = Math.min(n, j0 + TRANSPOSED_ROWS);
            b.unpackRows(j0, j1, rows);
            sgemm(false, false, m, k, j1 - j0, 1f, a, aOff + j0, lda, rows, 0, k, j0 == 0 ? 0f : 1f, c, cOff, ldc);
        }
    }

    /**
     * Rows [i0, i1) x columns [j0, j1) (j0 a multiple of NR) of {@link #gemmPacked} on the calling thread.
     * Each MC-row block of A is packed once for the whole depth (one KC block after another); depth blocks
     * then run innermost of the row/column blocks so the mc x {@link #NCP} block of C they accumulate into
     * stays in L2. Bfloat16 panels are widened in registers by the micro-kernels; IEEE-half panels are
     * widened a block at a time into a scratch block reused by every row tile.
     */
    private static void packedBlocked(int i0, int i1, int j0, int j1, float[] a, int aOff, int lda, PackedMatrix b,
                                      float[] bias, float[] c, int cOff, int ldc) {
        Workspace ws = WORKSPACE.get();
        if (i1 - i0 == 1) {
            packedRow(j0, j1, a, aOff + i0 * lda, b, bias, c, cOff + i0 * ldc, ws);
            return;
        }
        float[] tile = ws.tile;
        PackedMatrix.Precision precision = b.precision();
        boolean half = precision == PackedMatrix.Precision.F16;
        float[] bp = half ? ws.widened : b.panels();
        short[] hp = b.halves();
        int k = b.k();
        for (int ic = i0; ic < i1; ic += MC) {
            int mc = Math.min(MC, i1 - ic), rows = roundUp(mc, MR);
            float[] ap = ws.a(rows * k);
            for (int pc = 0; pc < k; pc += KC) pack(a, aOff + ic * lda + pc, lda, 1, mc, Math.min(KC, k - pc), MR, ap, rows * pc);
            for (int jc = j0; jc < j1; jc += NCP) {
                int nc = Math.min(NCP, j1 - jc);
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int bi = b.offset(jc + jr, pc);
                        if (half) {
                            b.widen(jc + jr, pc, kc, bp, 0);
                            bi = 0;
                        }
                        for (int ir = 0; ir < mc; ir += MR) {
                            int ai = aOff + (ic + ir) * lda + pc;
                            if (mc - ir > 1) {
                                if (hp != null && !half) kernelBf16(kc, ap, rows * pc + ir * kc, hp, bi, tile);
                                else kernel(kc, ap, rows * pc + ir * kc, bp, bi, tile);
                            } else if (hp != null && !half) {
                                rowKernelBf16x2(kc, a, ai, hp, bi, 0, tile);
                            } else {
                                rowKernel(kc, a, ai, bp, bi, tile);
                            }
                            accumulate(tile, Math.min(MR, mc - ir), Math.min(NR, nc - jr), pc == 0, bias, jc + jr,
                                    c, cOff + (ic + ir) * ldc + jc + jr, ldc);
                        }
                    }
                }
            }
        }
    }

    /**
     * Columns [j0, j1) of one row of {@link #gemmPacked}, A read in place from {@code a[ai..ai + k)}: decoding
     * a token, bound by streaming the panels once. Two panels per pass (four for bfloat16), so eight (sixteen)
     * independent fused multiply-add chains (one per vector of columns) hide the FMA latency that four chains would
     * expose at the rate a 16-bit panel streams; each column's chain is the same as in {@link #kernel}. A group of
     * panels is read from its first depth block to its last before the next group, so each core streams its
     * columns' contiguous panels in address order (visiting the depth blocks of several panels in turn, as the
     * multi-row path does, left the hardware prefetchers at 60% of the read bandwidth); every column still
     * adds its depth blocks in the same order, hence the same bits.
     */
    private static void packedRow(int j0, int j1, float[] a, int ai, PackedMatrix b, float[] bias, float[] c, int ci,
                                  Workspace ws) {
        float[] tile = ws.tile;
        PackedMatrix.Precision precision = b.precision();
        boolean half = precision == PackedMatrix.Precision.F16, bf16 = precision == PackedMatrix.Precision.BF16;
        float[] bp = half ? ws.widened : b.panels();
        short[] hp = b.halves();
        int k = b.k(), next = NR * k; // from a depth of one panel to the same depth of the next
        int step = bf16 ? 4 * NR : 2 * NR;
        for (int jr = j0; jr < j1; jr += step) {
            int width = Math.min(step, j1 - jr);
            int fourth = width > 3 * NR ? 3 * next : 2 * next; // a missing fourth bfloat16 panel re-reads the third
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc), bi = b.offset(jr, pc), off = next;
                if (half) {
                    b.widen(jr, pc, kc, bp, 0);
                    if (width > NR) b.widen(jr + NR, pc, kc, bp, kc * NR);
                    bi = 0;
                    off = kc * NR;
                }
                if (bf16 && width > 2 * NR) rowKernelBf16x4(kc, a, ai + pc, hp, bi, next, 2 * next, fourth, tile);
                else if (bf16) rowKernelBf16x2(kc, a, ai + pc, hp, bi, width > NR ? off : 0, tile);
                else if (width > NR) rowKernel2(kc, a, ai + pc, bp, bi, off, tile);
                else rowKernel(kc, a, ai + pc, bp, bi, tile);
                accumulate(tile, 1, width, pc == 0, bias, jr, c, ci + jr, 0);
            }
        }
    }

    /**
     * Adds one depth block's tile into C[0..mr, 0..nr): C = bias[j..] + tile for the first block (just the
     * tile without a bias), C = C + tile after. Additions are exact IEEE in vector and scalar form alike.
     */
    private static void accumulate(float[] tile, int mr, int nr, boolean first, float[] bias, int j,
                                   float[] c, int ci, int ldc) {
        for (int r = 0; r < mr; r++) {
            int row = ci + r * ldc, t = r * NR;
            int q = 0;
            for (; q <= nr - L; q += L) {
                FloatVector v = FloatVector.fromArray(S, tile, t + q);
                if (!first) v = v.add(FloatVector.fromArray(S, c, row + q));
                else if (bias != null) v = v.add(FloatVector.fromArray(S, bias, j + q));
                v.intoArray(c, row + q);
            }
            for (; q < nr; q++) {
                float v = tile[t + q];
                c[row + q] = !first ? c[row + q] + v : bias != null ? bias[j + q] + v : v;
            }
        }
    }

    /** C = beta * C, never reading C when beta is 0. */
    private static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int row = cOff + i * ldc;
            for (int j = 0; j < n; j++) c[row + j] = beta == 0 ? 0 : beta * c[row + j];
        }
    }

    /** Computes rows [i0, i1) x columns [j0, j1) of C on the calling thread, packed and blocked. */
    private static void blocked(int i0, int i1, int j0, int j1, int k, float alpha,
                                float[] a, int aOff, int ars, int aps, float[] b, int bOff, int brs, int bps,
                                float beta, float[] c, int cOff, int ldc) {
        Workspace ws = WORKSPACE.get();
        float[] tile = ws.tile;
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                float betaBlock = pc == 0 ? beta : 1f;
                float[] bp = ws.b(roundUp(nc, NR) * kc);
                pack(b, bOff + jc * brs + pc * bps, brs, bps, nc, kc, NR, bp, 0);
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    float[] ap = ws.a(roundUp(mc, MR) * kc);
                    pack(a, aOff + ic * ars + pc * aps, ars, aps, mc, kc, MR, ap, 0);
                    for (int jr = 0; jr < nc; jr += NR) {
                        for (int ir = 0; ir < mc; ir += MR) {
                            kernel(kc, ap, ir * kc, bp, jr * kc, tile);
                            store(tile, Math.min(MR, mc - ir), Math.min(NR, nc - jr), alpha, betaBlock,
                                    c, cOff + (ic + ir) * ldc + jc + jr, ldc);
                        }
                    }
                }
            }
        }
    }

    private static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }

    /**
     * Packs a rows x kc block of X, whose element (r, p) is {@code x[off + r * rs + p * ps]} with
     * {@code rs == 1 || ps == 1}, into panels of w rows stored depth-major:
     * {@code dst[dstOff + (r / w) * w * kc + p * w + r % w]}. The last panel is zero-padded to w rows so the
     * micro-kernel never needs an edge case.
     */
    static void pack(float[] x, int off, int rs, int ps, int rows, int kc, int w, float[] dst, int dstOff) {
        for (int r0 = 0; r0 < rows; r0 += w) {
            int d = dstOff + r0 * kc;
            int h = Math.min(w, rows - r0);
            if (h < w) java.util.Arrays.fill(dst, d, d + w * kc, 0f);
            if (rs == 1) { // a panel's rows are adjacent in x: copy h-wide strips
                for (int p = 0; p < kc; p++) System.arraycopy(x, off + r0 + p * ps, dst, d + p * w, h);
                continue;
            }
            // ps == 1, each row is contiguous in x: transpose, two rows per pass over dst
            int r = 0;
            for (; r + 1 < h; r += 2) {
                int s0 = off + (r0 + r) * rs, s1 = s0 + rs;
                for (int p = 0; p < kc; p++) {
                    int q = d + p * w + r;
                    dst[q] = x[s0 + p];
                    dst[q + 1] = x[s1 + p];
                }
            }
            if (r < h) {
                int src = off + (r0 + r) * rs;
                for (int p = 0; p < kc; p++) dst[d + p * w + r] = x[src + p];
            }
        }
    }

    /**
     * The register-tiled micro-kernel: the MR x NR product of one packed A micro-panel and one packed
     * B micro-panel over depth kc, written to {@code tile} (row-major, NR wide). Kept as one flat method
     * with the 24 accumulators as locals so they live in vector registers.
     */
    private static void kernel(int kc, float[] ap, int ai, float[] bp, int bi, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S), c13 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S), c23 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S), c33 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c42 = FloatVector.zero(S), c43 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S), c52 = FloatVector.zero(S), c53 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int pa = ai + p * MR, pb = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, pb);
            FloatVector b1 = FloatVector.fromArray(S, bp, pb + L);
            FloatVector b2 = FloatVector.fromArray(S, bp, pb + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, bp, pb + 3 * L);
            FloatVector av = FloatVector.broadcast(S, ap[pa]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            c02 = av.fma(b2, c02);
            c03 = av.fma(b3, c03);
            av = FloatVector.broadcast(S, ap[pa + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            c12 = av.fma(b2, c12);
            c13 = av.fma(b3, c13);
            av = FloatVector.broadcast(S, ap[pa + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            c22 = av.fma(b2, c22);
            c23 = av.fma(b3, c23);
            av = FloatVector.broadcast(S, ap[pa + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            c32 = av.fma(b2, c32);
            c33 = av.fma(b3, c33);
            av = FloatVector.broadcast(S, ap[pa + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            c42 = av.fma(b2, c42);
            c43 = av.fma(b3, c43);
            av = FloatVector.broadcast(S, ap[pa + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            c52 = av.fma(b2, c52);
            c53 = av.fma(b3, c53);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c02.intoArray(tile, 2 * L);
        c03.intoArray(tile, 3 * L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c12.intoArray(tile, NR + 2 * L);
        c13.intoArray(tile, NR + 3 * L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c22.intoArray(tile, 2 * NR + 2 * L);
        c23.intoArray(tile, 2 * NR + 3 * L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c32.intoArray(tile, 3 * NR + 2 * L);
        c33.intoArray(tile, 3 * NR + 3 * L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c42.intoArray(tile, 4 * NR + 2 * L);
        c43.intoArray(tile, 4 * NR + 3 * L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        c52.intoArray(tile, 5 * NR + 2 * L);
        c53.intoArray(tile, 5 * NR + 3 * L);
    }

    /**
     * {@link #kernel} over a bfloat16 panel, widened in registers: a bfloat16 is the upper half of a
     * float32, so each group of L 16-bit values is sign-extended to 32-bit lanes and shifted up 16 bits.
     * The fused multiply-add chains are those of {@link #kernel} on the widened panel, hence the same bits.
     */
    private static void kernelBf16(int kc, float[] ap, int ai, short[] hp, int bi, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S), c13 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S), c23 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S), c33 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c42 = FloatVector.zero(S), c43 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S), c52 = FloatVector.zero(S), c53 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int pa = ai + p * MR, pb = bi + p * NR;
            FloatVector b0 = ((IntVector) ShortVector.fromArray(H, hp, pb).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector b1 = ((IntVector) ShortVector.fromArray(H, hp, pb + L).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector b2 = ((IntVector) ShortVector.fromArray(H, hp, pb + 2 * L).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector b3 = ((IntVector) ShortVector.fromArray(H, hp, pb + 3 * L).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector av = FloatVector.broadcast(S, ap[pa]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            c02 = av.fma(b2, c02);
            c03 = av.fma(b3, c03);
            av = FloatVector.broadcast(S, ap[pa + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            c12 = av.fma(b2, c12);
            c13 = av.fma(b3, c13);
            av = FloatVector.broadcast(S, ap[pa + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            c22 = av.fma(b2, c22);
            c23 = av.fma(b3, c23);
            av = FloatVector.broadcast(S, ap[pa + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            c32 = av.fma(b2, c32);
            c33 = av.fma(b3, c33);
            av = FloatVector.broadcast(S, ap[pa + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            c42 = av.fma(b2, c42);
            c43 = av.fma(b3, c43);
            av = FloatVector.broadcast(S, ap[pa + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            c52 = av.fma(b2, c52);
            c53 = av.fma(b3, c53);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c02.intoArray(tile, 2 * L);
        c03.intoArray(tile, 3 * L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c12.intoArray(tile, NR + 2 * L);
        c13.intoArray(tile, NR + 3 * L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c22.intoArray(tile, 2 * NR + 2 * L);
        c23.intoArray(tile, 2 * NR + 3 * L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c32.intoArray(tile, 3 * NR + 2 * L);
        c33.intoArray(tile, 3 * NR + 3 * L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c42.intoArray(tile, 4 * NR + 2 * L);
        c43.intoArray(tile, 4 * NR + 3 * L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        c52.intoArray(tile, 5 * NR + 2 * L);
        c53.intoArray(tile, 5 * NR + 3 * L);
    }

    /**
     * The micro-kernel for a single row of A, read in place from {@code a[ai..ai + kc)}: row 0 of
     * {@link #kernel}'s tile with the same fused multiply-add chain per element, hence the same bits, at a
     * sixth of the arithmetic. Decoding one token runs on it, bound by streaming B.
     */
    private static void rowKernel(int kc, float[] a, int ai, float[] bp, int bi, float[] tile) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int pb = bi + p * NR;
            FloatVector av = FloatVector.broadcast(S, a[ai + p]);
            c0 = av.fma(FloatVector.fromArray(S, bp, pb), c0);
            c1 = av.fma(FloatVector.fromArray(S, bp, pb + L), c1);
            c2 = av.fma(FloatVector.fromArray(S, bp, pb + 2 * L), c2);
            c3 = av.fma(FloatVector.fromArray(S, bp, pb + 3 * L), c3);
        }
        c0.intoArray(tile, 0);
        c1.intoArray(tile, L);
        c2.intoArray(tile, 2 * L);
        c3.intoArray(tile, 3 * L);
    }

    /**
     * {@link #rowKernel} over two panels at once, the second {@code off} elements after the first: tile
     * columns [0, NR) from the first, [NR, 2 NR) from the second; twice the independent chains.
     */
    private static void rowKernel2(int kc, float[] a, int ai, float[] bp, int bi, int off, float[] tile) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
        FloatVector d0 = FloatVector.zero(S), d1 = FloatVector.zero(S), d2 = FloatVector.zero(S), d3 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int pb = bi + p * NR, qb = pb + off;
            FloatVector av = FloatVector.broadcast(S, a[ai + p]);
            c0 = av.fma(FloatVector.fromArray(S, bp, pb), c0);
            c1 = av.fma(FloatVector.fromArray(S, bp, pb + L), c1);
            c2 = av.fma(FloatVector.fromArray(S, bp, pb + 2 * L), c2);
            c3 = av.fma(FloatVector.fromArray(S, bp, pb + 3 * L), c3);
            d0 = av.fma(FloatVector.fromArray(S, bp, qb), d0);
            d1 = av.fma(FloatVector.fromArray(S, bp, qb + L), d1);
            d2 = av.fma(FloatVector.fromArray(S, bp, qb + 2 * L), d2);
            d3 = av.fma(FloatVector.fromArray(S, bp, qb + 3 * L), d3);
        }
        c0.intoArray(tile, 0);
        c1.intoArray(tile, L);
        c2.intoArray(tile, 2 * L);
        c3.intoArray(tile, 3 * L);
        d0.intoArray(tile, NR);
        d1.intoArray(tile, NR + L);
        d2.intoArray(tile, NR + 2 * L);
        d3.intoArray(tile, NR + 3 * L);
    }

    /**
     * {@link #rowKernel2} over two bfloat16 panels (a lone panel is read twice, {@code off} 0), widened in
     * registers without crossing lanes: each depth row of a panel (NR values) is read as two full vectors of int
     * pairs, and a pair's low half (the even column, shifted up) and high half (the odd column, masked) are each
     * a float32. Even and odd columns keep their own accumulators and are interleaved into the tile once per
     * block, so every column has the same fused multiply-add chain as in {@link #kernelBf16}, hence the same
     * bits, while half the bytes stream from memory.
     * Everything stays in this one method: a vector passed to a helper that C2 does not inline is boxed, which
     * made a first version five times slower.
     */
    private static void rowKernelBf16x2(int kc, float[] a, int ai, short[] hp, int bi, int off, float[] tile) {
        FloatVector e0 = FloatVector.zero(S), o0 = e0, e1 = e0, o1 = e0, f0 = e0, g0 = e0, f1 = e0, g1 = e0;
        for (int p = 0; p < kc; p++) {
            int pb = bi + p * NR, qb = pb + off;
            FloatVector av = FloatVector.broadcast(S, a[ai + p]);
            IntVector v0 = ShortVector.fromArray(W, hp, pb).reinterpretAsInts();
            IntVector v1 = ShortVector.fromArray(W, hp, pb + 2 * L).reinterpretAsInts();
            IntVector w0 = ShortVector.fromArray(W, hp, qb).reinterpretAsInts();
            IntVector w1 = ShortVector.fromArray(W, hp, qb + 2 * L).reinterpretAsInts();
            e0 = av.fma(v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), e0);
            o0 = av.fma(v0.and(0xFFFF0000).reinterpretAsFloats(), o0);
            e1 = av.fma(v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), e1);
            o1 = av.fma(v1.and(0xFFFF0000).reinterpretAsFloats(), o1);
            f0 = av.fma(w0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f0);
            g0 = av.fma(w0.and(0xFFFF0000).reinterpretAsFloats(), g0);
            f1 = av.fma(w1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f1);
            g1 = av.fma(w1.and(0xFFFF0000).reinterpretAsFloats(), g1);
        }
        e0.intoArray(tile, 0, EVEN, 0);
        o0.intoArray(tile, 0, ODD, 0);
        e1.intoArray(tile, 2 * L, EVEN, 0);
        o1.intoArray(tile, 2 * L, ODD, 0);
        f0.intoArray(tile, NR, EVEN, 0);
        g0.intoArray(tile, NR, ODD, 0);
        f1.intoArray(tile, NR + 2 * L, EVEN, 0);
        g1.intoArray(tile, NR + 2 * L, ODD, 0);
    }

    /**
     * {@link #rowKernelBf16x2} over four bfloat16 panels, at {@code bi} and {@code o1}, {@code o2}, {@code o3}
     * elements after it: four streams per core instead of two, which keeps more cache-line reads in flight
     * while the core widens and multiplies (in a kernel-only harness two threads streamed 25-30 GB/s of weight
     * against 19-20 with two panels; same bits). Tile columns [q NR, (q + 1) NR) come from panel q.
     */
    private static void rowKernelBf16x4(int kc, float[] a, int ai, short[] hp, int bi, int o1, int o2, int o3, float[] tile) {
        FloatVector e0 = FloatVector.zero(S), f0 = e0, e1 = e0, f1 = e0, e2 = e0, f2 = e0, e3 = e0, f3 = e0;
        FloatVector g0 = e0, h0 = e0, g1 = e0, h1 = e0, g2 = e0, h2 = e0, g3 = e0, h3 = e0;
        for (int p = 0; p < kc; p++) {
            int pb = bi + p * NR;
            FloatVector av = FloatVector.broadcast(S, a[ai + p]);
            IntVector v0 = ShortVector.fromArray(W, hp, pb).reinterpretAsInts();
            IntVector v1 = ShortVector.fromArray(W, hp, pb + 2 * L).reinterpretAsInts();
            IntVector v2 = ShortVector.fromArray(W, hp, pb + o1).reinterpretAsInts();
            IntVector v3 = ShortVector.fromArray(W, hp, pb + o1 + 2 * L).reinterpretAsInts();
            IntVector v4 = ShortVector.fromArray(W, hp, pb + o2).reinterpretAsInts();
            IntVector v5 = ShortVector.fromArray(W, hp, pb + o2 + 2 * L).reinterpretAsInts();
            IntVector v6 = ShortVector.fromArray(W, hp, pb + o3).reinterpretAsInts();
            IntVector v7 = ShortVector.fromArray(W, hp, pb + o3 + 2 * L).reinterpretAsInts();
            e0 = av.fma(v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), e0);
            f0 = av.fma(v0.and(0xFFFF0000).reinterpretAsFloats(), f0);
            e1 = av.fma(v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), e1);
            f1 = av.fma(v1.and(0xFFFF0000).reinterpretAsFloats(), f1);
            e2 = av.fma(v2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), e2);
            f2 = av.fma(v2.and(0xFFFF0000).reinterpretAsFloats(), f2);
            e3 = av.fma(v3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), e3);
            f3 = av.fma(v3.and(0xFFFF0000).reinterpretAsFloats(), f3);
            g0 = av.fma(v4.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), g0);
            h0 = av.fma(v4.and(0xFFFF0000).reinterpretAsFloats(), h0);
            g1 = av.fma(v5.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), g1);
            h1 = av.fma(v5.and(0xFFFF0000).reinterpretAsFloats(), h1);
            g2 = av.fma(v6.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), g2);
            h2 = av.fma(v6.and(0xFFFF0000).reinterpretAsFloats(), h2);
            g3 = av.fma(v7.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), g3);
            h3 = av.fma(v7.and(0xFFFF0000).reinterpretAsFloats(), h3);
        }
        e0.intoArray(tile, 0, EVEN, 0);
        f0.intoArray(tile, 0, ODD, 0);
        e1.intoArray(tile, 2 * L, EVEN, 0);
        f1.intoArray(tile, 2 * L, ODD, 0);
        e2.intoArray(tile, NR, EVEN, 0);
        f2.intoArray(tile, NR, ODD, 0);
        e3.intoArray(tile, NR + 2 * L, EVEN, 0);
        f3.intoArray(tile, NR + 2 * L, ODD, 0);
        g0.intoArray(tile, 2 * NR, EVEN, 0);
        h0.intoArray(tile, 2 * NR, ODD, 0);
        g1.intoArray(tile, 2 * NR + 2 * L, EVEN, 0);
        h1.intoArray(tile, 2 * NR + 2 * L, ODD, 0);
        g2.intoArray(tile, 3 * NR, EVEN, 0);
        h2.intoArray(tile, 3 * NR, ODD, 0);
        g3.intoArray(tile, 3 * NR + 2 * L, EVEN, 0);
        h3.intoArray(tile, 3 * NR + 2 * L, ODD, 0);
    }

    /** C[0..mr, 0..nr) = alpha * tile + beta * C, not reading C when beta is 0. */
    private static void store(float[] tile, int mr, int nr, float alpha, float beta, float[] c, int ci, int ldc) {
        for (int r = 0; r < mr; r++) {
            int row = ci + r * ldc, t = r * NR;
            int j = 0;
            for (; j <= nr - L; j += L) {
                FloatVector v = FloatVector.fromArray(S, tile, t + j).mul(alpha);
                if (beta != 0) v = FloatVector.fromArray(S, c, row + j).fma(FloatVector.broadcast(S, beta), v);
                v.intoArray(c, row + j);
            }
            for (; j < nr; j++) {
                float v = alpha * tile[t + j];
                c[row + j] = beta == 0 ? v : beta * c[row + j] + v;
            }
        }
    }

    /**
     * Few rows of A (decoding a token or a handful): the work is dominated by reading B once, so B is
     * streamed in place, split by columns across the cores, and op(A) is only copied to contiguous rows.
     * With B stored [n, k], the last n % 4 columns go through the packed path.
     */
    private static void smallM(int m, int n, int k, float alpha, float[] a, int aOff, int ars, int aps,
                               float[] b, int bOff, boolean transB, int ldb, float beta, float[] c, int cOff, int ldc) {
        float[] x = WORKSPACE.get().a(m * k);
        pack(a, aOff, ars, aps, m, k, 1, x, 0);
        int full = transB ? n / DOT_ROWS * DOT_ROWS : n;
        if (full > 0) {
            int grain = (long) full * k >= SMALL_PARALLEL_MIN_WORK ? (transB ? DOT_ROWS : L) : full;
            Parallel.forRange(full, grain, (j0, j1) -> {
                if (transB) {
                    dots(m, j0, j1, k, alpha, x, b, bOff, ldb, beta, c, cOff, ldc);
                } else {
                    axpys(m, j0, j1, k, alpha, x, b, bOff, ldb, beta, c, cOff, ldc);
                }
            });
        }
        if (full < n) {
            blocked(0, m, full, n, k, alpha, a, aOff, ars, aps, b, bOff, transB ? ldb : 1, transB ? 1 : ldb,
                    beta, c, cOff, ldc);
        }
    }

    /** Rows of B per dot-product pass: four independent FMA chains sharing each load of x. */
    private static final int DOT_ROWS = 4;
    /** Column block of the axpy form: m x AXPY_COLS accumulators stay in L1. */
    private static final int AXPY_COLS = 2048;

    /** C[i, j] = alpha * dot(x_i, B_j) + beta * C[i, j] for rows j of B (stored [n, k]), 4 at a time. */
    private static void dots(int m, int j0, int j1, int k, float alpha, float[] x, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        int kv = k / L * L;
        for (int j = j0; j < j1; j += DOT_ROWS) {
            int b0 = bOff + j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
            for (int i = 0; i < m; i++) {
                int xi = i * k;
                FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
                FloatVector s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
                for (int p = 0; p < kv; p += L) {
                    FloatVector xv = FloatVector.fromArray(S, x, xi + p);
                    s0 = xv.fma(FloatVector.fromArray(S, b, b0 + p), s0);
                    s1 = xv.fma(FloatVector.fromArray(S, b, b1 + p), s1);
                    s2 = xv.fma(FloatVector.fromArray(S, b, b2 + p), s2);
                    s3 = xv.fma(FloatVector.fromArray(S, b, b3 + p), s3);
                }
                float d0 = Lanes.sum(s0), d1 = Lanes.sum(s1);
                float d2 = Lanes.sum(s2), d3 = Lanes.sum(s3);
                for (int p = kv; p < k; p++) {
                    float xp = x[xi + p];
                    d0 += xp * b[b0 + p];
                    d1 += xp * b[b1 + p];
                    d2 += xp * b[b2 + p];
                    d3 += xp * b[b3 + p];
                }
                int ci = cOff + i * ldc + j;
                c[ci] = beta == 0 ? alpha * d0 : alpha * d0 + beta * c[ci];
                c[ci + 1] = beta == 0 ? alpha * d1 : alpha * d1 + beta * c[ci + 1];
                c[ci + 2] = beta == 0 ? alpha * d2 : alpha * d2 + beta * c[ci + 2];
                c[ci + 3] = beta == 0 ? alpha * d3 : alpha * d3 + beta * c[ci + 3];
            }
        }
    }

    /**
     * C[i, j0..j1) = alpha * sum_p x_i[p] * B[p, j0..j1) + beta * C[i, j0..j1) for B stored [k, n]. Walks
     * B row by row (sequential, prefetch-friendly) one column block at a time, accumulating in an
     * L1-resident buffer.
     */
    private static void axpys(int m, int j0, int j1, int k, float alpha, float[] x, float[] b, int bOff, int ldb,
                              float beta, float[] c, int cOff, int ldc) {
        float[] acc = WORKSPACE.get().b(m * AXPY_COLS);
        for (int j = j0; j < j1; j += AXPY_COLS) {
            int w = Math.min(AXPY_COLS, j1 - j), wv = w / L * L;
            java.util.Arrays.fill(acc, 0, m * AXPY_COLS, 0f);
            for (int p = 0; p < k; p++) {
                int row = bOff + p * ldb + j;
                for (int i = 0; i < m; i++) {
                    float xp = x[i * k + p];
                    FloatVector xv = FloatVector.broadcast(S, xp);
                    int ai = i * AXPY_COLS;
                    int q = 0;
                    for (; q < wv; q += L) {
                        xv.fma(FloatVector.fromArray(S, b, row + q), FloatVector.fromArray(S, acc, ai + q))
                                .intoArray(acc, ai + q);
                    }
                    for (; q < w; q++) acc[ai + q] += xp * b[row + q];
                }
            }
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc + j, ai = i * AXPY_COLS;
                for (int q = 0; q < w; q++) {
                    c[ci + q] = beta == 0 ? alpha * acc[ai + q] : alpha * acc[ai + q] + beta * c[ci + q];
                }
            }
        }
    }
}
