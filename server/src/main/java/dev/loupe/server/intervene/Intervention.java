package dev.loupe.server.intervene;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.http.Body;
import dev.loupe.server.readout.Axes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One edit of the activations at the hooks a pattern selects, as a request states it:
 * {@code {"hook": "blocks.2.hook_resid_post", "op": "add", "vector": [...], "scale": 4}}. Ops: {@code add}
 * (x + scale·vector, the vector along the last axis: steering), {@code scale} (x·scale), {@code zero} (ablation),
 * {@code set} (x = vector). {@code positions} (absolute; negative from the end of the input) and {@code heads}
 * restrict it. Every op is written as x·m + c with constant m and c, so gradients flow through it.
 */
public record Intervention(String hook, Op op, float[] vector, float scale, int[] positions, int[] heads) {
    private static final Set<String> FIELDS = Set.of("hook", "op", "vector", "scale", "positions", "heads");

    public enum Op { ADD, SCALE, ZERO, SET }

    /** A request's {@code interventions} array (absent: none). */
    public static List<Intervention> parseAll(List<Body.Element> list) {
        List<Intervention> out = new ArrayList<>();
        for (Body.Element e : list) out.add(parse(e.node(), e.path()));
        return out;
    }

    static Intervention parse(JsonNode n, String path) {
        Body b = Body.of(n, path).allow(FIELDS);
        String opName = b.requireString("op");
        Op op;
        try {
            op = Op.valueOf(opName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(b.field("op") + ": expected \"add\", \"scale\", \"zero\" or \"set\", got \"" + opName + "\"");
        }
        float[] vector = Body.floats(b.raw("vector"), b.field("vector"));
        if ((op == Op.ADD || op == Op.SET) && vector == null) throw ApiError.badRequest(b.field("vector") + " is required for op \"" + opName + "\"");
        double dflt = op == Op.SCALE ? Double.NaN : 1;
        double scale = b.number("scale", dflt);
        if (Double.isNaN(scale)) throw ApiError.badRequest(b.field("scale") + " is required for op \"scale\"");
        return new Intervention(b.requireString("hook"), op, vector, (float) scale, b.ints("positions"), b.ints("heads"));
    }

    /** Checks this edit fits the hook {@code spec} whose row shape (batch removed) is {@code rowShape}. */
    void check(HookSpec spec, int[] rowShape) {
        Axes axes = Axes.of(spec.site());
        if (heads != null && axes.heads() < 0) throw ApiError.badRequest("intervention at " + spec.name() + ": 'heads' given but this hook has no head axis");
        int last = rowShape[rowShape.length - 1];
        if (vector != null && vector.length != last) {
            throw ApiError.badRequest("intervention at " + spec.name() + ": vector has " + vector.length + " entries but the hook's last axis has "
                    + last + " (shape " + spec.shape() + ")");
        }
        if (heads != null) for (int h : heads) {
            if (h < 0 || h >= rowShape[axes.heads()]) throw ApiError.badRequest("intervention at " + spec.name() + ": head " + h + " is outside 0.." + (rowShape[axes.heads()] - 1));
        }
    }

    /**
     * Writes this edit into the multiplier {@code m} and offset {@code c} of one row (at {@code off}, shape
     * {@code rowShape}) whose position axis starts at absolute position {@code start}.
     */
    void write(HookSpec spec, float[] m, float[] c, int off, int[] rowShape, int start) {
        Axes axes = Axes.of(spec.site());
        int rank = rowShape.length, last = rowShape[rank - 1];
        int[] idx = new int[rank];
        int n = 1;
        for (int s : rowShape) n *= s;
        int end = start + rowShape[axes.pos()];
        for (int i = 0; i < n; i++) {
            int rem = i;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d] = rem % rowShape[d];
                rem /= rowShape[d];
            }
            if (positions != null && !selected(positions, start + idx[axes.pos()], end)) continue;
            if (heads != null && !selected(heads, idx[axes.heads()], Integer.MAX_VALUE)) continue;
            int k = off + i;
            switch (op) {
                case ADD -> c[k] += scale * vector[idx[rank - 1]];
                case SCALE -> {
                    m[k] *= scale;
                    c[k] *= scale;
                }
                case ZERO -> {
                    m[k] = 0;
                    c[k] = 0;
                }
                case SET -> {
                    m[k] = 0;
                    c[k] = vector[i % last];
                }
            }
        }
    }

    private static boolean selected(int[] list, int value, int length) {
        for (int p : list) if ((p < 0 ? length + p : p) == value) return true;
        return false;
    }
}
