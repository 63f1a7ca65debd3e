package dev.loupe.interp.intervene;

import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.model.hooks.HookContext;
import dev.loupe.model.hooks.HookFn;
import java.util.Arrays;

/**
 * One intervention compiled for one hook point: computes the replacement values and writes them into
 * the slices its scope selects ({@link Ops#where}, so gradients reach the replacement there and the
 * original activation elsewhere). A call whose positions, rows or heads are all out of scope returns the
 * activation untouched.
 */
final class ScopedEdit implements HookFn {
    /** The values selected slices take, computed for the whole activation (values outside the scope are discarded). */
    @FunctionalInterface
    interface Replacement {
        Tensor apply(Tensor x, int start);
    }

    private final String field;
    private final Layout layout;
    private final Scope scope;
    private final Replacement replacement;

    ScopedEdit(String field, Layout layout, Scope scope, Replacement replacement) {
        this.field = field;
        this.layout = layout;
        this.scope = scope;
        this.replacement = replacement;
    }

    @Override
    public Tensor apply(Tensor x, HookContext ctx) {
        int[] shape = x.shape();
        if (scope.rows() != null) {
            for (int r : scope.rows()) {
                if (r >= shape[0]) throw new SpecException(field + ".rows", "row " + r + " but the batch has " + shape[0] + " rows");
            }
        }
        boolean[] mask = new boolean[x.numel()];
        int selected = layout.forEach(shape, ctx.startPosition(), scope, (row, pos, head, off, len) -> Arrays.fill(mask, off, off + len, true));
        if (selected == 0) return x;
        Tensor y = replacement.apply(x, ctx.startPosition());
        Tensor out = selected == x.numel() ? y : Ops.where(mask, y, x);
        checkFinite(x, out);
        return out;
    }

    /** An edit that turns a finite activation into Inf or NaN (an overflowing scale, say) is refused, naming the spec entry. */
    private void checkFinite(Tensor x, Tensor out) {
        float[] in = x.data(), o = out.data();
        for (int i = 0; i < o.length; i++) {
            if (!Float.isFinite(o[i]) && Float.isFinite(in[i])) {
                throw new SpecException(field, "the edit turned the finite value " + in[i] + " into " + o[i] + " (float32 overflow); use a smaller value or scale");
            }
        }
    }
}
