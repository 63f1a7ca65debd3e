package dev.loupe.interp.intervene;

import dev.loupe.model.TransformerConfig;
import dev.loupe.model.hooks.Dim;
import dev.loupe.model.hooks.HookSpec;
import java.util.List;

/**
 * How the activation at one hook divides into slices addressed by (batch row, absolute position, head),
 * each a contiguous run of the last dimension, so a {@link Scope} can pick them out.
 *
 * @param kind the axis order
 * @param heads size of the heads axis (1 when there is none)
 * @param width size of the last axis, or -1 when it varies (attention key positions)
 * @param widthName the dimension's name with its size, for messages, e.g. "d_model=768"
 */
record Layout(Kind kind, int heads, int width, String widthName) {
    enum Kind {
        /** [batch, pos, width]: residual stream, MLP activations. */
        VECTOR,
        /** [batch, pos, heads, d_head]: q, k, v, z. */
        HEADS,
        /** [batch, heads, query_pos, key_pos]: attention scores and pattern. */
        PATTERN
    }

    /** Read from the site's axes ({@link dev.loupe.model.hooks.Site#dims()}), the one description of its shape. */
    static Layout of(HookSpec hook, TransformerConfig c) {
        List<Dim> dims = hook.site().dims();
        Dim last = dims.get(dims.size() - 1);
        int headAxis = hook.site().rowAxis(Dim::heads);
        int heads = headAxis < 0 ? 1 : c.size(dims.get(headAxis + 1));
        if (dims.contains(Dim.QUERY_POS)) return new Layout(Kind.PATTERN, heads, -1, last.label());
        return new Layout(headAxis < 0 ? Kind.VECTOR : Kind.HEADS, heads, c.size(last), last.label() + "=" + c.size(last));
    }

    boolean hasHeads() {
        return kind != Kind.VECTOR;
    }

    /** What the heads axis is called at this hook, for messages. */
    String headsName(HookSpec hook) {
        return hook.shape().contains("n_kv_heads") ? "n_kv_heads" : "n_heads";
    }

    /** Shape of one position's activation without batch and position axes (mean activations); null for patterns. */
    int[] featureShape() {
        return switch (kind) {
            case VECTOR -> new int[] {width};
            case HEADS -> new int[] {heads, width};
            case PATTERN -> null;
        };
    }

    /** Length of the position axis of a tensor of this layout. */
    int positions(int[] shape) {
        return kind == Kind.PATTERN ? shape[2] : shape[1];
    }

    /** Element offset of slice (row, position index, head) in a tensor of this layout with {@code shape}. */
    int offset(int[] shape, int row, int pos, int head) {
        int last = shape[shape.length - 1];
        return switch (kind) {
            case VECTOR -> (row * shape[1] + pos) * last;
            case HEADS -> ((row * shape[1] + pos) * shape[2] + head) * last;
            case PATTERN -> ((row * shape[1] + head) * shape[2] + pos) * last;
        };
    }

    /** Receives one selected slice. */
    @FunctionalInterface
    interface SliceVisitor {
        void visit(int row, int position, int head, int offset, int length);
    }

    /**
     * Visits the slices of a tensor of {@code shape}, whose position index 0 is absolute position
     * {@code start}, that {@code scope} selects; returns how many elements they hold.
     */
    int forEach(int[] shape, int start, Scope scope, SliceVisitor visitor) {
        int rows = shape[0], positions = positions(shape), last = shape[shape.length - 1];
        int selected = 0;
        for (int b = 0; b < rows; b++) {
            if (!scope.hasRow(b)) continue;
            for (int p = 0; p < positions; p++) {
                if (!scope.positions().contains(start + p)) continue;
                for (int h = 0; h < heads; h++) {
                    if (hasHeads() && !scope.hasHead(h)) continue;
                    visitor.visit(b, start + p, h, offset(shape, b, p, h), last);
                    selected += last;
                }
            }
        }
        return selected;
    }
}
