package dev.loupe.interp.trace;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * NumPy basic indexing plus one integer list: integers (negative from the end), slices with steps, {@code ...},
 * {@code None} (a new axis of size 1) and at most one list of integers (advanced indexing; the axis stays in place).
 * In JSON an index is an array of items: {@code 3}, {@code {"slice": [start, stop, step]}} (nulls allowed),
 * {@code [0, 2, -1]}, {@code "..."}, {@code null}. A resolved index is a gather map: for each output element,
 * the offset of the input element it reads.
 */
final class Indexing {
    private Indexing() {}

    sealed interface Item permits At, Range, Pick, Ellipsis, NewAxis {}

    record At(int i) implements Item {}

    record Range(Integer start, Integer stop, Integer step) implements Item {}

    record Pick(int[] idx) implements Item {}

    record Ellipsis() implements Item {}

    record NewAxis() implements Item {}

    static List<Item> parse(JsonNode index) {
        if (index == null || !index.isArray()) throw new IllegalArgumentException("'index' must be an array of index items");
        List<Item> items = new ArrayList<>();
        int lists = 0, ellipses = 0;
        for (JsonNode e : index) {
            if (e.isNull()) items.add(new NewAxis());
            else if (e.isIntegralNumber() && e.canConvertToInt()) items.add(new At(e.intValue()));
            else if (e.isTextual() && e.textValue().equals("...")) {
                items.add(new Ellipsis());
                ellipses++;
            } else if (e.isArray()) {
                int[] idx = new int[e.size()];
                for (int i = 0; i < idx.length; i++) {
                    if (!e.get(i).isIntegralNumber()) throw new IllegalArgumentException("index lists hold integers, got " + e.get(i));
                    idx[i] = e.get(i).intValue();
                }
                items.add(new Pick(idx));
                lists++;
            } else if (e.isObject() && e.has("slice") && e.get("slice").isArray() && e.get("slice").size() == 3) {
                JsonNode s = e.get("slice");
                items.add(new Range(opt(s.get(0)), opt(s.get(1)), opt(s.get(2))));
            } else {
                throw new IllegalArgumentException("unknown index item " + e + " (expected an integer, {\"slice\": [start, stop, step]}, a list of integers, \"...\" or null)");
            }
        }
        if (lists > 1) throw new IllegalArgumentException("at most one integer list per index (index with lists one axis at a time)");
        if (ellipses > 1) throw new IllegalArgumentException("an index can have only one ellipsis (...)");
        return items;
    }

    private static Integer opt(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (!n.isIntegralNumber()) throw new IllegalArgumentException("slice bounds are integers or null, got " + n);
        return n.intValue();
    }

    /** What each input axis keeps (null: the axis is dropped by an integer) and where new axes go. */
    private record Plan(int[][] picks, int[] outShape) {}

    private static Plan plan(int[] in, List<Item> items) {
        int consuming = 0;
        boolean ellipsis = false;
        for (Item it : items) {
            if (it instanceof Ellipsis) ellipsis = true;
            else if (!(it instanceof NewAxis)) consuming++;
        }
        if (consuming > in.length) throw new IllegalArgumentException("too many indices (" + consuming + ") for shape " + Arrays.toString(in));
        List<Item> full = new ArrayList<>();
        for (Item it : items) {
            if (it instanceof Ellipsis) for (int k = 0; k < in.length - consuming; k++) full.add(new Range(null, null, null));
            else full.add(it);
        }
        if (!ellipsis) for (int k = consuming; k < in.length; k++) full.add(new Range(null, null, null));
        int[][] picks = new int[in.length][];
        List<Integer> out = new ArrayList<>();
        int d = 0;
        for (Item it : full) {
            switch (it) {
                case NewAxis n -> out.add(1);
                case At a -> {
                    int i = a.i() < 0 ? a.i() + in[d] : a.i();
                    if (i < 0 || i >= in[d]) throw new IllegalArgumentException("index " + a.i() + " is out of range for axis " + d + " of size " + in[d] + " (shape " + Arrays.toString(in) + ")");
                    picks[d++] = new int[] {i};
                }
                case Pick p -> {
                    int[] idx = new int[p.idx().length];
                    for (int k = 0; k < idx.length; k++) {
                        int i = p.idx()[k] < 0 ? p.idx()[k] + in[d] : p.idx()[k];
                        if (i < 0 || i >= in[d]) throw new IllegalArgumentException("index " + p.idx()[k] + " is out of range for axis " + d + " of size " + in[d]);
                        idx[k] = i;
                    }
                    out.add(idx.length);
                    picks[d++] = idx;
                }
                case Range r -> {
                    int[] idx = slice(r, in[d]);
                    out.add(idx.length);
                    picks[d++] = idx;
                }
                case Ellipsis e -> throw new IllegalStateException();
            }
        }
        return new Plan(picks, out.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Python's slice.indices, enumerated. */
    static int[] slice(Range r, int n) {
        int step = r.step() == null ? 1 : r.step();
        if (step == 0) throw new IllegalArgumentException("slice step cannot be zero");
        int start, stop;
        if (step > 0) {
            start = r.start() == null ? 0 : clampBound(r.start(), n, 0, n);
            stop = r.stop() == null ? n : clampBound(r.stop(), n, 0, n);
        } else {
            start = r.start() == null ? n - 1 : clampBound(r.start(), n, -1, n - 1);
            stop = r.stop() == null ? -1 : clampBound(r.stop(), n, -1, n - 1);
        }
        int len = step > 0 ? Math.max(0, (stop - start + step - 1) / step) : Math.max(0, (start - stop - step - 1) / -step);
        int[] idx = new int[len];
        for (int k = 0; k < len; k++) idx[k] = start + k * step;
        return idx;
    }

    private static int clampBound(int v, int n, int lo, int hi) {
        if (v < 0) v += n;
        return Math.max(lo, Math.min(hi, v));
    }

    static int[] shape(int[] in, List<Item> items) {
        return plan(in, items).outShape();
    }

    /** Input offset of every output element, row-major. */
    static int[] map(int[] in, List<Item> items) {
        return offsets(plan(in, items).picks(), in);
    }

    /** Offsets for choosing picks[d] along each axis d of a row-major tensor of shape {@code in}. */
    static int[] offsets(int[][] picks, int[] in) {
        int[] offs = {0};
        int stride = 1;
        int[] strides = new int[in.length];
        for (int d = in.length - 1; d >= 0; d--) {
            strides[d] = stride;
            stride *= in[d];
        }
        for (int d = 0; d < in.length; d++) {
            int[] p = picks[d];
            int[] next = new int[offs.length * p.length];
            int k = 0;
            for (int o : offs) for (int i : p) next[k++] = o + i * strides[d];
            offs = next;
        }
        return offs;
    }

    /** NumPy broadcasting of two shapes, or null when they do not broadcast. */
    static int[] broadcast(int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int x = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
            int y = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
            if (x != y && x != 1 && y != 1) return null;
            out[i] = Math.max(x, y) == 1 ? Math.min(x, y) : Math.max(x, y);
        }
        return out;
    }

    /** Gather map reading a tensor of shape {@code in} broadcast to {@code out}. */
    static int[] broadcastMap(int[] in, int[] out) {
        int lead = out.length - in.length;
        int[][] picks = new int[out.length][];
        int[] padded = new int[out.length];
        for (int d = 0; d < out.length; d++) {
            int size = d < lead ? 1 : in[d - lead];
            padded[d] = size;
            picks[d] = new int[out[d]];
            if (size != 1) for (int i = 0; i < out[d]; i++) picks[d][i] = i;
        }
        return offsets(picks, padded);
    }
}
