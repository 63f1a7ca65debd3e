package dev.loupe.interp.trace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.core.Tensor;
import dev.loupe.interp.trace.TraceValue.DType;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.hooks.HookPattern;
import dev.loupe.model.hooks.HookSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A trace graph checked against one model before anything runs: every op on the list, every input an earlier node,
 * every hook one the model has, the shape and element type of every value inferred node by node, every hook write
 * fed only by values that exist when that hook fires, and the memory and time the run would take estimated
 * against the limits. Errors name the node and the user's line. Also decides the passes: invokes of one length
 * (at least {@link #MIN_SHARED_TOKENS} tokens) share a forward pass as rows; a generation has one pass per step.
 */
public final class TracePlan {
    /** Rows shorter than this run alone: the GEMM takes another path for at most 4 rows, which would change bits. */
    public static final int MIN_SHARED_TOKENS = 5;
    /** A value available only after the backward pass. */
    static final long AFTER_BACKWARD = Long.MAX_VALUE;
    /** A value available before any pass (constants, stored values). */
    static final long BEFORE = -1;

    final TraceGraph graph;
    final HookedTransformer model;
    final TraceOp[] ops;
    final int[][] shapes;
    final DType[] dtypes;
    final long[] time;
    final Object[] parsed;
    final HookSpec[] hookOf;
    final int[] passOfNode;
    final List<int[]> passes = new ArrayList<>();
    final int[] passOf;
    final int[] rowOf;
    final int hookCount;
    int backward = -1;
    long bytes;
    double flops;

    private TracePlan(TraceGraph g, HookedTransformer model) {
        this.graph = g;
        this.model = model;
        int n = g.nodes().size();
        ops = new TraceOp[n];
        shapes = new int[n][];
        dtypes = new DType[n];
        time = new long[n];
        parsed = new Object[n];
        hookOf = new HookSpec[n];
        passOfNode = new int[n];
        passOf = new int[g.invokes().size()];
        rowOf = new int[g.invokes().size()];
        hookCount = model.hooks().size();
    }

    public TraceGraph graph() {
        return graph;
    }

    /** Rows of each forward pass (invoke ids); a generation's single entry is every step's rows. */
    public List<int[]> passes() {
        return passes;
    }

    public boolean hasBackward() {
        return backward >= 0;
    }

    /** Inferred shape of node {@code id}'s value (null for writes, saves and the backward node). */
    public int[] shapeOf(int id) {
        return shapes[id] == null ? null : shapes[id].clone();
    }

    /** Estimated bytes held and floating-point operations. */
    public long estimatedBytes() {
        return bytes;
    }

    public double estimatedFlops() {
        return flops;
    }

    /** The length of every invoke's tokens, which must all be known (the graph tokenized). */
    public int tokens(int invoke) {
        return graph.invokes().get(invoke).tokens().length;
    }

    /** Layers whose attention scores or pattern a node reads or writes (such hooks change the attention kernel path). */
    public Set<Integer> attentionPathLayers() {
        Set<Integer> s = new HashSet<>();
        for (HookSpec h : hookOf) {
            if (h != null && h.site() != null && (h.site() == dev.loupe.model.hooks.Site.PATTERN || h.site() == dev.loupe.model.hooks.Site.ATTN_SCORES)) s.add(h.layer());
        }
        return s;
    }

    /** The time a hook fires: pass by pass, hooks in forward order, the logits last. */
    long at(int pass, int hookIndex) {
        return (long) pass * (hookCount + 1) + hookIndex;
    }

    int hookIndex(HookSpec h) {
        return h == null ? hookCount : h.index(); // null: logits
    }

    /**
     * Checks {@code g} (tokenized) against {@code model}.
     *
     * @param saes SAEs the graph may call by name
     * @param stored the stored values the graph may read by handle (null when absent)
     */
    public static TracePlan validate(TraceGraph g, HookedTransformer model, Map<String, TraceSae> saes, Function<String, TraceValue> stored, TraceLimits limits) {
        TracePlan p = new TracePlan(g, model);
        p.check(saes, stored, limits);
        return p;
    }

    private void check(Map<String, TraceSae> saes, Function<String, TraceValue> stored, TraceLimits limits) {
        TransformerConfig cfg = model.config();
        if (graph.nodes().size() > limits.maxNodes()) {
            throw new TraceException(413, limits.maxNodes(), null, "the graph has " + graph.nodes().size() + " nodes; the limit is " + limits.maxNodes());
        }
        if (graph.invokes().size() > limits.maxInvokes()) {
            throw new TraceException(413, -1, null, "the trace has " + graph.invokes().size() + " invokes; the limit is " + limits.maxInvokes());
        }
        if (graph.steps() < 0 || graph.steps() > limits.maxSteps()) {
            throw new TraceException(400, -1, null, "steps must be in 0.." + limits.maxSteps() + ", got " + graph.steps());
        }
        planPasses(cfg);
        Set<String> saveNames = new HashSet<>();
        Map<String, Integer> writes = new LinkedHashMap<>();
        for (TraceGraph.Node n : graph.nodes()) {
            TraceOp op = TraceOp.of(n);
            ops[n.id()] = op;
            if (op.arity >= 0 && n.in().length != op.arity) {
                throw TraceException.bad(n, "'" + n.op() + "' takes " + op.arity + " input(s), got " + n.in().length);
            }
            if (op.arity < 0 && n.in().length == 0) throw TraceException.bad(n, "'" + n.op() + "' needs at least one input");
            long t = BEFORE;
            for (int i : n.in()) {
                if (i < 0 || i >= n.id()) {
                    throw TraceException.bad(n, "input " + i + " is not an earlier node: a graph lists nodes after their inputs, so it cannot have a cycle");
                }
                if (shapes[i] == null) throw TraceException.bad(n, "input " + i + " ('" + graph.nodes().get(i).op() + "') has no value to read");
                t = Math.max(t, time[i]);
            }
            time[n.id()] = t;
            dtypes[n.id()] = DType.FLOAT32;
            try {
                infer(n, op, saes, stored, saveNames, writes);
            } catch (IllegalArgumentException e) {
                throw TraceException.bad(n, e.getMessage());
            }
            if (shapes[n.id()] != null) {
                long numel = numel(shapes[n.id()]);
                if (numel > limits.maxElements()) {
                    throw new TraceException(413, n.id(), n.line(), "the result would have shape " + Arrays.toString(shapes[n.id()]) + ", " + numel
                            + " elements; the limit for one value is " + limits.maxElements());
                }
                bytes += 4 * numel;
            }
        }
        if (backward >= 0) checkDifferentiable();
        for (int i = 0; i < ops.length; i++) {
            if (ops[i] == TraceOp.GRAD && backward < 0) throw TraceException.bad(graph.nodes().get(i), "reads a gradient, but the graph has no backward node");
        }
        estimateForward(cfg);
        if (bytes > limits.maxBytes()) {
            throw new TraceException(413, -1, null, "the trace would hold about " + (bytes >> 20) + " MiB (values and the forward pass's activations); the limit is "
                    + (limits.maxBytes() >> 20) + " MiB");
        }
        double seconds = flops / limits.flopsPerSecond();
        if (seconds > limits.maxSeconds()) {
            throw new TraceException(413, -1, null, String.format("the trace would take about %.1f s (%.3g floating-point operations); the limit is %.0f s", seconds, flops, limits.maxSeconds()));
        }
    }

    private void planPasses(TransformerConfig cfg) {
        List<TraceGraph.Invoke> inv = graph.invokes();
        for (int i = 0; i < inv.size(); i++) {
            int[] ids = inv.get(i).tokens();
            String what = "invokes[" + i + "]";
            if (ids == null) throw new TraceException(400, -1, null, what + " was not tokenized");
            if (ids.length == 0) throw new TraceException(400, -1, null, what + " has no tokens");
            int total = ids.length + graph.steps();
            if (total > cfg.nCtx()) throw new TraceException(413, -1, null, what + " needs " + total + " positions; the model's context is " + cfg.nCtx());
            for (int k = 0; k < ids.length; k++) {
                if (ids[k] < 0 || ids[k] >= cfg.dVocab()) throw new TraceException(400, -1, null, what + ".tokens[" + k + "]: " + ids[k] + " is outside 0.." + (cfg.dVocab() - 1));
            }
        }
        if (graph.steps() > 0) {
            int[] all = new int[inv.size()];
            for (int i = 0; i < all.length; i++) {
                if (tokens(i) != tokens(0)) throw new TraceException(400, -1, null, "a generation's prompts must have one length; invokes[" + i + "] has " + tokens(i) + " tokens, invokes[0] " + tokens(0));
                all[i] = i;
                rowOf[i] = i;
            }
            for (int s = 0; s < graph.steps(); s++) passes.add(all);
            return;
        }
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        List<List<Integer>> groups = new ArrayList<>();
        for (int i = 0; i < inv.size(); i++) {
            int len = tokens(i);
            List<Integer> grp = len >= MIN_SHARED_TOKENS ? byLength.get(len) : null;
            if (grp == null) {
                grp = new ArrayList<>();
                groups.add(grp);
                if (len >= MIN_SHARED_TOKENS) byLength.put(len, grp);
            }
            grp.add(i);
        }
        for (List<Integer> grp : groups) {
            int[] rows = grp.stream().mapToInt(Integer::intValue).toArray();
            for (int r = 0; r < rows.length; r++) {
                passOf[rows[r]] = passes.size();
                rowOf[rows[r]] = r;
            }
            passes.add(rows);
        }
    }

    private void infer(TraceGraph.Node n, TraceOp op, Map<String, TraceSae> saes, Function<String, TraceValue> stored, Set<String> saveNames, Map<String, Integer> writes) {
        int id = n.id();
        int[][] in = new int[n.in().length][];
        for (int i = 0; i < in.length; i++) in[i] = shapes[n.in()[i]];
        int[] x = in.length > 0 ? in[0] : null;
        TransformerConfig cfg = model.config();
        switch (op) {
            case HOOK, GRAD, WRITE -> {
                HookSpec h = hookAt(n);
                int invoke = n.integer("invoke", 0);
                if (invoke < 0 || invoke >= graph.invokes().size()) throw new IllegalArgumentException("invoke " + invoke + " does not exist (the trace has " + graph.invokes().size() + ")");
                int step = -1;
                if (graph.steps() > 0) {
                    step = n.integer("step", null);
                    if (step < 0 || step >= graph.steps()) throw new IllegalArgumentException("step " + step + " is outside 0.." + (graph.steps() - 1));
                } else if (n.has("step")) {
                    throw new IllegalArgumentException("'step' is only for generation traces");
                }
                int pass = graph.steps() > 0 ? step : passOf[invoke];
                passOfNode[id] = pass;
                hookOf[id] = h;
                int[] shape = hookShape(h, invoke, step);
                long fires = at(pass, hookIndex(h));
                if (op == TraceOp.HOOK) {
                    shapes[id] = shape;
                    time[id] = fires;
                } else if (op == TraceOp.GRAD) {
                    if (graph.steps() > 0) throw new IllegalArgumentException("gradients are for forward traces, not generation");
                    if (h == null) throw new IllegalArgumentException("the gradient of the logits: read the logits and differentiate from there");
                    shapes[id] = shape;
                    time[id] = AFTER_BACKWARD;
                } else {
                    if (h == null) throw new IllegalArgumentException("the logits cannot be written (they are the output)");
                    if (Indexing.broadcast(x, shape) == null || !Arrays.equals(Indexing.broadcast(x, shape), shape)) {
                        throw new IllegalArgumentException("the value written to " + h.name() + " has shape " + Arrays.toString(x) + ", which does not broadcast to the hook's " + Arrays.toString(shape));
                    }
                    if (time[id] == AFTER_BACKWARD) throw new IllegalArgumentException("a write cannot depend on a gradient (the backward pass runs after every forward)");
                    if (time[id] > fires) {
                        throw new IllegalArgumentException("the value written to " + h.name() + (graph.steps() > 0 ? " at step " + step : "") + " depends on an activation that is computed later"
                                + " (" + describe(time[id]) + "); a hook can only be written from values that exist when it fires");
                    }
                    String key = h.name() + "/" + invoke + "/" + step;
                    Integer prev = writes.put(key, id);
                    if (prev != null) throw new IllegalArgumentException(h.name() + " of invoke " + invoke + " is already written by node " + prev + "; build one value with all edits and write it once");
                    time[id] = fires;
                }
            }
            case CONST -> {
                int[] shape = shapeAttr(n, "shape");
                parsed[id] = constant(n, shape);
                dtypes[id] = dtypeAttr(n);
                shapes[id] = shape;
            }
            case FULL -> {
                shapes[id] = shapeAttr(n, "shape");
                if (!n.attrs().path("value").isNumber()) throw new IllegalArgumentException("'full' needs a number 'value'");
            }
            case STORED -> {
                String handle = n.str("handle");
                TraceValue v = stored == null ? null : stored.apply(handle);
                if (v == null) throw new IllegalArgumentException("no stored value named '" + handle + "' (stored values belong to the key that saved them, and expire)");
                parsed[id] = v.tensor();
                shapes[id] = v.tensor().shape();
                dtypes[id] = v.dtype();
            }
            case SAVE -> {
                String name = n.str("name");
                if (!name.matches("[A-Za-z0-9_.:\\-\\[\\]]{1,200}")) throw new IllegalArgumentException("save name '" + name + "' must be 1-200 of A-Z a-z 0-9 _ . : - [ ]");
                if (!saveNames.add(name)) throw new IllegalArgumentException("two values are saved as '" + name + "'");
                dtypes[id] = dtypes[n.in()[0]];
            }
            case BACKWARD -> {
                if (backward >= 0) throw new IllegalArgumentException("a trace has one backward pass; node " + backward + " already is it (sum the scalars)");
                if (graph.steps() > 0) throw new IllegalArgumentException("backward passes are for forward traces, not generation");
                if (numel(x) != 1) throw new IllegalArgumentException("backward starts from a scalar, but this value has shape " + Arrays.toString(x));
                if (time[id] < 0) throw new IllegalArgumentException("the backward scalar does not depend on the model");
                if (time[id] == AFTER_BACKWARD) throw new IllegalArgumentException("the backward scalar cannot depend on gradients");
                backward = id;
            }
            case INDEX -> {
                List<Indexing.Item> items = Indexing.parse(n.attrs().get("index"));
                parsed[id] = items;
                shapes[id] = Indexing.shape(x, items);
                dtypes[id] = dtypes[n.in()[0]];
            }
            case INDEX_PUT -> {
                List<Indexing.Item> items = Indexing.parse(n.attrs().get("index"));
                parsed[id] = items;
                int[] target = Indexing.shape(x, items);
                int[] b = Indexing.broadcast(in[1], target);
                if (b == null || !Arrays.equals(b, target)) throw new IllegalArgumentException("the value of shape " + Arrays.toString(in[1]) + " does not broadcast to the indexed shape " + Arrays.toString(target));
                shapes[id] = x;
            }
            case ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, EQ, NE, LT, LE, GT, GE -> {
                int[] b = Indexing.broadcast(in[0], in[1]);
                if (b == null) throw new IllegalArgumentException("shapes " + Arrays.toString(in[0]) + " and " + Arrays.toString(in[1]) + " do not broadcast together");
                shapes[id] = b;
                if (op.ordinal() >= TraceOp.EQ.ordinal() && op.ordinal() <= TraceOp.GE.ordinal()) dtypes[id] = DType.BOOL;
                flops += numel(b);
            }
            case NEG, EXP, LOG, SQRT, ABS, RELU -> {
                shapes[id] = x;
                flops += 4 * numel(x);
            }
            case CLAMP -> {
                shapes[id] = x;
                for (String f : List.of("min", "max")) if (n.has(f) && !n.attrs().get(f).isNumber()) throw new IllegalArgumentException("'" + f + "' must be a number");
            }
            case WHERE -> {
                int[] b = Indexing.broadcast(in[0], in[1]);
                if (b != null) b = Indexing.broadcast(b, in[2]);
                if (b == null) throw new IllegalArgumentException("shapes " + Arrays.toString(in[0]) + ", " + Arrays.toString(in[1]) + " and " + Arrays.toString(in[2]) + " do not broadcast together");
                shapes[id] = b;
            }
            case MATMUL -> {
                int[] a = in[0], b = in[1];
                if (a.length == 0 || b.length == 0) throw new IllegalArgumentException("matmul needs arrays of at least one axis, got " + Arrays.toString(a) + " and " + Arrays.toString(b));
                int[] a2 = a.length == 1 ? new int[] {1, a[0]} : a, b2 = b.length == 1 ? new int[] {b[0], 1} : b;
                if (a2[a2.length - 1] != b2[b2.length - 2]) {
                    throw new IllegalArgumentException("matmul of " + Arrays.toString(a) + " and " + Arrays.toString(b) + ": inner sizes " + a2[a2.length - 1] + " and " + b2[b2.length - 2] + " differ");
                }
                int[] batch = Indexing.broadcast(Arrays.copyOf(a2, a2.length - 2), Arrays.copyOf(b2, b2.length - 2));
                if (batch == null) throw new IllegalArgumentException("matmul batch axes of " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
                List<Integer> out = new ArrayList<>();
                for (int s : batch) out.add(s);
                if (a.length > 1) out.add(a2[a2.length - 2]);
                if (b.length > 1) out.add(b2[b2.length - 1]);
                shapes[id] = out.stream().mapToInt(Integer::intValue).toArray();
                flops += 2.0 * numel(batch) * a2[a2.length - 2] * a2[a2.length - 1] * b2[b2.length - 1];
            }
            case EINSUM -> {
                Einsum e = Einsum.parse(n.str("equation"), in);
                parsed[id] = e;
                shapes[id] = e.outShape();
                flops += 2.0 * e.work();
            }
            case SUM, MEAN, MAX, MIN, NORM -> {
                int[] axes = axes(n, x);
                parsed[id] = axes;
                shapes[id] = reduced(x, axes, n.attrs().path("keepdims").asBoolean(false));
                flops += numel(x);
            }
            case ARGMAX -> {
                int[] axes = axes(n, x);
                if (axes.length != 1 && axes.length != x.length) throw new IllegalArgumentException("argmax takes one axis (or none, for the flat position)");
                parsed[id] = axes;
                shapes[id] = axes.length == x.length && !n.attrs().hasNonNull("axis") ? new int[0] : reduced(x, axes, n.attrs().path("keepdims").asBoolean(false));
                dtypes[id] = DType.INT64;
            }
            case SOFTMAX, LOG_SOFTMAX -> {
                parsed[id] = axis(n.integer("axis", -1), x.length);
                shapes[id] = x;
                flops += 10 * numel(x);
            }
            case TOPK -> {
                if (x.length == 0) throw new IllegalArgumentException("topk needs at least one axis");
                int k = n.integer("k", null);
                if (k < 1 || k > x[x.length - 1]) throw new IllegalArgumentException("k=" + k + " must be in 1.." + x[x.length - 1] + " (the last axis)");
                String part = n.str("part");
                if (!part.equals("values") && !part.equals("indices")) throw new IllegalArgumentException("'part' is \"values\" or \"indices\", got \"" + part + "\"");
                int[] s = x.clone();
                s[s.length - 1] = k;
                shapes[id] = s;
                if (part.equals("indices")) dtypes[id] = DType.INT64;
                flops += 20 * numel(x);
            }
            case CAT, STACK -> {
                int rank = op == TraceOp.STACK ? x.length + 1 : x.length;
                int axis = axis(n.integer("axis", 0), rank);
                int[] out = op == TraceOp.STACK ? TensorMath.concat(Arrays.copyOf(x, axis), TensorMath.concat(new int[] {in.length}, Arrays.copyOfRange(x, axis, x.length))) : x.clone();
                for (int i = 1; i < in.length; i++) {
                    boolean ok = in[i].length == x.length;
                    for (int d = 0; ok && d < x.length; d++) ok = in[i][d] == x[d] || (op == TraceOp.CAT && d == axis);
                    if (!ok) throw new IllegalArgumentException(n.op() + ": input " + i + " has shape " + Arrays.toString(in[i]) + ", which does not fit " + Arrays.toString(x) + (op == TraceOp.CAT ? " along axis " + axis : ""));
                    if (op == TraceOp.CAT) out[axis] += in[i][axis];
                }
                parsed[id] = axis;
                shapes[id] = out;
            }
            case RESHAPE -> {
                int[] s = intsAttr(n, "shape");
                int infer = -1;
                long known = 1;
                for (int i = 0; i < s.length; i++) {
                    if (s[i] == -1 && infer < 0) infer = i;
                    else if (s[i] < 0) throw new IllegalArgumentException("reshape sizes are non-negative (one may be -1), got " + Arrays.toString(s));
                    else known *= s[i];
                }
                if (infer >= 0 && known > 0 && numel(x) % known == 0) s[infer] = (int) (numel(x) / known);
                if (numel(s) != numel(x) || (infer >= 0 && known == 0)) throw new IllegalArgumentException("cannot reshape " + Arrays.toString(x) + " to " + Arrays.toString(intsAttr(n, "shape")));
                shapes[id] = s;
                parsed[id] = s;
            }
            case TRANSPOSE -> {
                int[] perm;
                if (n.has("axes")) {
                    perm = intsAttr(n, "axes");
                    if (perm.length != x.length) throw new IllegalArgumentException("axes " + Arrays.toString(perm) + " must list every axis of " + Arrays.toString(x));
                    boolean[] seen = new boolean[x.length];
                    for (int i = 0; i < perm.length; i++) {
                        perm[i] = axis(perm[i], x.length);
                        if (seen[perm[i]]) throw new IllegalArgumentException("axes " + Arrays.toString(intsAttr(n, "axes")) + " repeat an axis");
                        seen[perm[i]] = true;
                    }
                } else {
                    perm = new int[x.length];
                    for (int i = 0; i < perm.length; i++) perm[i] = x.length - 1 - i;
                }
                parsed[id] = perm;
                shapes[id] = TensorMath.permuted(x, perm);
            }
            case UNEMBED, LN_FINAL -> {
                if (x.length == 0 || x[x.length - 1] != cfg.dModel()) throw new IllegalArgumentException(n.op() + " takes [..., d_model=" + cfg.dModel() + "], got " + Arrays.toString(x));
                if (op == TraceOp.UNEMBED && !cfg.hasUnembed()) throw new IllegalArgumentException("this model has no unembedding");
                if (op == TraceOp.LN_FINAL && !cfg.finalNorm()) throw new IllegalArgumentException("this model has no final norm");
                int[] s = x.clone();
                if (op == TraceOp.UNEMBED) {
                    s[s.length - 1] = cfg.dVocab();
                    flops += 2.0 * numel(x) * cfg.dVocab();
                }
                shapes[id] = s;
            }
            case SAE_ENCODE, SAE_DECODE -> {
                String name = n.str("sae");
                TraceSae sae = saes.get(name);
                if (sae == null) throw new IllegalArgumentException("no SAE named '" + name + "' (this server has: " + String.join(", ", saes.keySet()) + ")");
                int from = op == TraceOp.SAE_ENCODE ? sae.dIn() : sae.dSae(), to = op == TraceOp.SAE_ENCODE ? sae.dSae() : sae.dIn();
                if (x.length == 0 || x[x.length - 1] != from) throw new IllegalArgumentException(n.op() + " '" + name + "' takes [..., " + from + "], got " + Arrays.toString(x));
                int[] s = x.clone();
                s[s.length - 1] = to;
                shapes[id] = s;
                parsed[id] = sae;
                flops += 2.0 * numel(x) * to;
            }
        }
    }

    private HookSpec hookAt(TraceGraph.Node n) {
        String name = n.str("hook");
        if (name.equals("logits")) return null;
        HookSpec h = model.hooks().get(name);
        if (h == null) {
            throw new IllegalArgumentException("unknown hook '" + name + "'; this model's nearest: " + String.join(", ", HookPattern.nearest(model.hooks(), name, 3)));
        }
        return h;
    }

    /** One invoke's activation at {@code h} (null: logits) as [1, ...]; at a decode step, one position attending to all before it. */
    int[] hookShape(HookSpec h, int invoke, int step) {
        TransformerConfig cfg = model.config();
        int len = tokens(invoke);
        int pos = step > 0 ? 1 : len, keys = step > 0 ? len + step : len;
        if (h == null) return new int[] {1, graph.steps() > 0 ? 1 : pos, cfg.dVocab()};
        String[] names = h.site() != null ? h.site().shape().replaceAll("[\\[\\]\\s]", "").split(",")
                : h.shape().replaceAll("[\\[\\]\\s]", "").replaceAll("=\\d+", "").split(",");
        int[] out = new int[names.length];
        for (int i = 0; i < names.length; i++) {
            out[i] = switch (names[i]) {
                case "batch" -> 1;
                case "pos", "query_pos" -> pos;
                case "key_pos" -> keys;
                case "d_model" -> cfg.dModel();
                case "n_heads" -> cfg.nHeads();
                case "n_kv_heads" -> cfg.nKvHeads();
                case "d_head" -> cfg.dHead();
                case "d_mlp" -> cfg.dMlp();
                default -> throw new IllegalArgumentException("hook " + h.name() + " has a shape traces cannot read: " + h.shape());
            };
        }
        return out;
    }

    private String describe(long t) {
        int pass = (int) (t / (hookCount + 1)), idx = (int) (t % (hookCount + 1));
        String hook = idx == hookCount ? "logits" : model.hooks().specs().get(idx).name();
        return hook + (graph.steps() > 0 ? " at step " + pass : passes.size() > 1 ? " in forward pass " + pass : "");
    }

    /** Every node between the backward scalar and the model must have a gradient. */
    private void checkDifferentiable() {
        boolean[] seen = new boolean[ops.length];
        java.util.ArrayDeque<Integer> todo = new java.util.ArrayDeque<>(List.of(graph.nodes().get(backward).in()[0]));
        while (!todo.isEmpty()) {
            int i = todo.pop();
            if (seen[i] || time[i] < 0) continue;
            seen[i] = true;
            TraceGraph.Node n = graph.nodes().get(i);
            boolean diff = ops[i].differentiable && !(ops[i] == TraceOp.TOPK && n.attrs().path("part").asText().equals("indices"));
            if (!diff) {
                throw TraceException.bad(n, "'" + n.op() + "' has no gradient, but the backward pass from node " + backward + " would have to go through it");
            }
            int[] in = n.in();
            for (int k = ops[i] == TraceOp.WHERE ? 1 : 0; k < in.length; k++) todo.push(in[k]);
        }
    }

    /** Bytes and work of the forward (and backward) passes, added to the values' estimate. */
    private void estimateForward(TransformerConfig cfg) {
        double params = (double) cfg.nLayers() * (4.0 * cfg.dModel() * cfg.dModel() + 3.0 * cfg.dModel() * cfg.dMlp()) + (double) cfg.dModel() * cfg.dVocab();
        for (int p = 0; p < passes.size(); p++) {
            int[] rows = passes.get(p);
            int len = tokens(rows[0]);
            int pos = graph.steps() > 0 && p > 0 ? 1 : len, keys = graph.steps() > 0 ? len + p : len;
            double tokens = (double) rows.length * pos;
            double f = 2 * params * tokens + 4.0 * cfg.nLayers() * tokens * keys * cfg.dModel();
            flops += hasBackward() ? 3 * f : f;
            long perLayer = (long) (tokens * (8L * cfg.dModel() + 2L * cfg.dMlp() + 2L * cfg.nHeads() * keys) * 4);
            long logits = (long) (tokens * cfg.dVocab() * 4);
            bytes += (hasBackward() ? perLayer * cfg.nLayers() : perLayer) + logits * (hasBackward() ? 2 : 1);
        }
    }

    private int[] axes(TraceGraph.Node n, int[] x) {
        JsonNode a = n.attrs().get("axis");
        if (a == null || a.isNull()) {
            int[] all = new int[x.length];
            for (int i = 0; i < all.length; i++) all[i] = i;
            return all;
        }
        int[] raw = a.isArray() ? intsAttr(n, "axis") : new int[] {n.integer("axis", null)};
        int[] out = new int[raw.length];
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < raw.length; i++) {
            out[i] = axis(raw[i], x.length);
            if (!seen.add(out[i])) throw new IllegalArgumentException("axis " + raw[i] + " is repeated");
        }
        Arrays.sort(out);
        return out;
    }

    static int axis(int a, int rank) {
        int r = a < 0 ? a + rank : a;
        if (r < 0 || r >= rank) throw new IllegalArgumentException("axis " + a + " is out of range for " + rank + " axes");
        return r;
    }

    private static int[] reduced(int[] x, int[] axes, boolean keep) {
        List<Integer> out = new ArrayList<>();
        for (int d = 0; d < x.length; d++) {
            boolean r = Arrays.binarySearch(axes, d) >= 0;
            if (!r) out.add(x[d]);
            else if (keep) out.add(1);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] intsAttr(TraceGraph.Node n, String f) {
        JsonNode a = n.attrs().get(f);
        if (a == null || !a.isArray()) throw new IllegalArgumentException("'" + f + "' must be an array of integers");
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!a.get(i).isIntegralNumber() || !a.get(i).canConvertToInt()) throw new IllegalArgumentException("'" + f + "' must hold integers, got " + a.get(i));
            out[i] = a.get(i).intValue();
        }
        return out;
    }

    private static int[] shapeAttr(TraceGraph.Node n, String f) {
        int[] s = intsAttr(n, f);
        for (int v : s) if (v < 0) throw new IllegalArgumentException("'" + f + "' sizes must be non-negative, got " + Arrays.toString(s));
        return s;
    }

    private static DType dtypeAttr(TraceGraph.Node n) {
        String d = n.attrs().path("dtype").asText("float32");
        return switch (d) {
            case "float32" -> DType.FLOAT32;
            case "int64" -> DType.INT64;
            case "bool" -> DType.BOOL;
            default -> throw new IllegalArgumentException("dtype is float32, int64 or bool, got '" + d + "'");
        };
    }

    /** A constant's values: {@code data} (base64 of little-endian float32) or {@code values} (a flat JSON array). */
    private static Tensor constant(TraceGraph.Node n, int[] shape) {
        long numel = numel(shape);
        if (numel > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("a constant of shape " + Arrays.toString(shape) + " is too large");
        float[] v;
        if (n.has("data")) {
            byte[] b;
            try {
                b = Base64.getDecoder().decode(n.str("data"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'data' is not base64: " + e.getMessage());
            }
            if (b.length != 4 * numel) throw new IllegalArgumentException("'data' holds " + b.length / 4 + " float32 values but shape " + Arrays.toString(shape) + " needs " + numel);
            v = new float[(int) numel];
            java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        } else {
            JsonNode a = n.attrs().get("values");
            if (a == null || !a.isArray()) throw new IllegalArgumentException("a constant needs 'data' (base64 float32) or 'values' (a flat array)");
            if (a.size() != numel) throw new IllegalArgumentException("'values' has " + a.size() + " numbers but shape " + Arrays.toString(shape) + " needs " + numel);
            v = new float[(int) numel];
            for (int i = 0; i < v.length; i++) {
                JsonNode e = a.get(i);
                if (e.isBoolean()) v[i] = e.booleanValue() ? 1 : 0;
                else if (e.isNumber()) v[i] = e.floatValue();
                else throw new IllegalArgumentException("'values' must hold numbers, got " + e);
            }
        }
        return Tensor.of(v, shape);
    }

    /** Product of sizes, saturating at Long.MAX_VALUE. */
    static long numel(int[] s) {
        long n = 1;
        for (int v : s) {
            if (v != 0 && n > Long.MAX_VALUE / v) return Long.MAX_VALUE;
            n *= v;
        }
        return n;
    }
}
