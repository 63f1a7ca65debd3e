package dev.loupe.server.readout;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.http.Body;
import dev.loupe.server.readout.Array.Reduce;
import dev.loupe.server.wire.NamedTensor;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What to send back of the activations at the hooks one pattern selects, reduced on the server so only what the
 * researcher needs travels. Applied per hook to one row, in this order: keep {@code positions} (query positions
 * for attention patterns; negative counts from the end), keep {@code heads}, {@code project} the last axis onto
 * given directions, take the L2 {@code norm} of the last axis, {@code reduce} over positions (mean, max or sum),
 * then the {@code topk} of the last axis (values and indices). A plain string in a request is a pattern with no
 * reduction.
 *
 * @param as name of the result instead of the hook name (when a pattern selects one hook)
 */
public record Readout(String hook, String as, int[] positions, int[] heads, float[][] project, boolean norm, Reduce reduce, int topk) {
    private static final Set<String> FIELDS = Set.of("hook", "as", "positions", "heads", "project", "norm", "reduce", "topk");

    public static Readout of(String hook) {
        return new Readout(hook, null, null, null, null, false, null, 0);
    }

    /** Reads a request's cache entry: a hook pattern, or an object with {@code hook} and reductions. */
    public static Readout parse(JsonNode n, String path) {
        if (n.isTextual()) return of(n.textValue());
        Body b = Body.of(n, path).allow(FIELDS);
        String red = b.string("reduce", null);
        Reduce reduce = null;
        if (red != null) {
            try {
                reduce = Reduce.valueOf(red.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest(b.field("reduce") + ": expected \"mean\", \"max\" or \"sum\", got \"" + red + "\"");
            }
        }
        float[][] project = null;
        List<Body.Element> dirs = b.array("project");
        if (!dirs.isEmpty()) {
            project = new float[dirs.size()][];
            for (int i = 0; i < project.length; i++) project[i] = Body.floats(dirs.get(i).node(), dirs.get(i).path());
        }
        int topk = b.integer("topk", 0);
        if (topk < 0) throw ApiError.badRequest(b.field("topk") + ": must be positive, got " + topk);
        return new Readout(b.requireString("hook"), b.string("as", null), b.ints("positions"), b.ints("heads"), project,
                b.bool("norm", false), reduce, topk);
    }

    /**
     * Bytes of the largest array this readout builds from a row of {@code shape} (each step's output, before the
     * next shrinks it), computed from shapes alone, so a request whose readouts would not fit is refused before the
     * model runs: 50,000 repeated {@code positions} ask for 50,000 copies of a row.
     */
    public long peakBytes(int[] shape, Axes axes) {
        long[] s = new long[shape.length];
        for (int i = 0; i < s.length; i++) s[i] = shape[i];
        long peak = elements(s);
        if (positions != null) s[axes.pos()] = positions.length;
        peak = Math.max(peak, elements(s));
        if (heads != null && axes.heads() >= 0) s[axes.heads()] = heads.length;
        peak = Math.max(peak, elements(s));
        if (project != null) s[s.length - 1] = project.length;
        peak = Math.max(peak, elements(s));
        if (topk > 0 && !norm && reduce == null) peak = Math.max(peak, elements(s) / Math.max(1, s[s.length - 1]) * Math.min(topk, s[s.length - 1]) * 3);
        return peak > Long.MAX_VALUE / 4 ? Long.MAX_VALUE : 4 * peak;
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n = d == 0 ? 0 : n > Long.MAX_VALUE / d ? Long.MAX_VALUE : n * d;
        return n;
    }

    /** This readout of one row of the activation at {@code name}. */
    public List<NamedTensor> apply(String name, Axes axes, Array row) {
        String out = as != null ? as : name;
        try {
            Array a = row;
            if (positions != null) a = a.select(axes.pos(), positions, out + " positions");
            if (heads != null) {
                if (axes.heads() < 0) throw new IllegalArgumentException(out + ": 'heads' given but this hook has no head axis");
                a = a.select(axes.heads(), heads, out + " heads");
            }
            if (project != null) a = a.project(project, out + " project");
            if (norm) a = a.norm();
            if (reduce != null) a = a.reduce(axes.pos(), reduce);
            if (topk > 0) {
                if (a.shape().length == 0) throw new IllegalArgumentException(out + ": topk needs an axis left after the reductions");
                Array.TopK t = a.topk(topk);
                return List.of(NamedTensor.ofFloats(out + ".values", t.values().data(), t.values().shape()),
                        NamedTensor.ofLongs(out + ".indices", t.indices(), t.values().shape()));
            }
            return List.of(NamedTensor.ofFloats(out, a.data(), a.shape()));
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(e.getMessage());
        }
    }
}
