package dev.loupe.interp.analysis;

import dev.loupe.core.Tensor;
import dev.loupe.model.hooks.HookContext;
import dev.loupe.model.hooks.HookFn;
import java.util.Arrays;
import java.util.List;

/**
 * A hook that replaces regions of a position-major activation ([batch, pos, ...]: the residual stream,
 * attention/MLP outputs, or per-head [batch, pos, n_heads, d_head] such as {@code hook_z}) with the same
 * regions of a source activation. A region is one batch row at one position (or all) and one head (or the
 * whole vector). The source has the activation's shape except its batch size; a null source means zeros,
 * which makes zero-ablation a patch too. The result is a fresh tensor and carries no gradient graph.
 *
 * @param source [source_batch, pos, ...] values to copy in, or null for zeros
 * @param regions what to replace, in which row, from which source row
 */
public record ActivationPatch(Tensor source, List<Region> regions) implements HookFn {
    /** Marks "every position" or "the whole vector, all heads" in a {@link Region}. */
    public static final int ALL = -1;

    /**
     * @param row batch row of the activation to change
     * @param sourceRow batch row of the source to copy from
     * @param position position along the pos axis, or {@link #ALL}
     * @param head head along axis 2 of a [batch, pos, n_heads, d_head] activation, or {@link #ALL}
     */
    public record Region(int row, int sourceRow, int position, int head) {
        /** Receives one contiguous run of a region: offsets into the activation and the source, and its length. */
        @FunctionalInterface
        public interface Span {
            void accept(int offset, int sourceOffset, int length);
        }

        /** The region's contiguous runs in a row-major activation of {@code shape}; {@code what} names it in errors. */
        public void forEachSpan(int[] shape, String what, Span span) {
            if (shape.length < 3) throw new IllegalArgumentException(what + ": patching needs a [batch, pos, ...] activation, got " + Arrays.toString(shape));
            int pos = shape[1];
            int width = (int) (Tensor.numel(shape) / ((long) shape[0] * pos));
            if (row < 0 || row >= shape[0]) throw new IllegalArgumentException(what + ": patch row " + row + " outside batch " + shape[0]);
            if (position >= pos) throw new IllegalArgumentException(what + ": patch position " + position + " outside " + pos + " positions");
            int from = 0, len = width;
            if (head != ALL) {
                if (shape.length != 4 || head >= shape[2]) {
                    throw new IllegalArgumentException(what + ": head " + head + " needs a [batch, pos, n_heads, d_head] activation, got "
                            + Arrays.toString(shape));
                }
                len = shape[3];
                from = head * len;
            }
            int p0 = position == ALL ? 0 : position, p1 = position == ALL ? pos : position + 1;
            for (int p = p0; p < p1; p++) span.accept((row * pos + p) * width + from, (sourceRow * pos + p) * width + from, len);
        }
    }

    public ActivationPatch {
        regions = List.copyOf(regions);
    }

    /** Every row takes source row 0 at the given position and head (either may be {@link #ALL}). */
    public static ActivationPatch everyRow(Tensor source, int batch, int position, int head) {
        Region[] r = new Region[batch];
        for (int b = 0; b < batch; b++) r[b] = new Region(b, 0, position, head);
        return new ActivationPatch(source, Arrays.asList(r));
    }

    @Override
    public Tensor apply(Tensor activation, HookContext context) {
        return apply(activation, context.hook().name());
    }

    /** The activation with the regions replaced; {@code what} names it in errors. */
    public Tensor apply(Tensor activation, String what) {
        int[] shape = activation.shape();
        if (source != null) {
            int[] s = source.shape();
            s[0] = shape[0];
            if (!Arrays.equals(s, shape)) {
                throw new IllegalArgumentException(what + ": patch source " + source + " does not match activation " + activation
                        + " (all but the batch size must agree)");
            }
        }
        Tensor out = activation.copy();
        float[] o = out.data();
        for (Region r : regions) {
            if (source != null && (r.sourceRow < 0 || r.sourceRow >= source.size(0))) {
                throw new IllegalArgumentException(what + ": patch source row " + r.sourceRow + " outside source batch " + source.size(0));
            }
            r.forEachSpan(shape, what, (dst, src, len) -> {
                if (source == null) {
                    Arrays.fill(o, dst, dst + len, 0f);
                } else {
                    System.arraycopy(source.data(), src, o, dst, len);
                }
            });
        }
        return out;
    }
}
