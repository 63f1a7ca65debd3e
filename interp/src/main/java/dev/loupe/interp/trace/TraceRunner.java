package dev.loupe.interp.trace;

import dev.loupe.core.Autograd;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.interp.trace.TensorMath.Binary;
import dev.loupe.interp.trace.TensorMath.Unary;
import dev.loupe.interp.trace.TraceValue.DType;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.KvCache;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.generate.Sampler;
import dev.loupe.model.generate.Sampling;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.model.hooks.Site;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Runs validated traces inside the model's own forward (and backward) passes: at each hook's firing, the rows of
 * every trace that reads it are handed to that trace's nodes, every node whose inputs now exist is computed, and
 * the trace's writes replace its own rows before the forward continues. Several traces whose plans each have one
 * pass of one length can run as one batch: each sees only its rows, and (the forward being batch-invariant) gets
 * the bits it would get alone. No user code runs; only the ops of {@link TraceOp}.
 */
public final class TraceRunner {
    private TraceRunner() {}

    /**
     * What a trace returns: its saved values by name (in node order), which of them it asked to store on the server,
     * the tokens a generation chose (per invoke), and how many rows the pass it rode in had.
     */
    public record Result(Map<String, TraceValue> saved, Set<String> store, int[][] generated, int batchRows) {}

    /** Runs one trace. */
    public static Result run(HookedTransformer model, TracePlan plan, long deadlineNanos, long maxBytes) {
        return runTogether(model, List.of(plan), deadlineNanos, maxBytes).getFirst();
    }

    /**
     * Runs traces together. More than one needs {@link #canShare}: every plan one pass, all of one length, and
     * equal in what changes the kernels' path (backward or not, which layers' attention patterns are hooked).
     */
    public static List<Result> runTogether(HookedTransformer model, List<TracePlan> plans, long deadlineNanos, long maxBytes) {
        if (plans.size() > 1) {
            for (TracePlan p : plans) {
                if (!canShare(plans.getFirst(), p)) throw new IllegalArgumentException("these traces cannot share a forward pass");
            }
        }
        List<Exec> execs = new ArrayList<>();
        for (TracePlan p : plans) execs.add(new Exec(p, model, deadlineNanos, maxBytes));
        for (Exec e : execs) e.advanceTo(TracePlan.BEFORE);
        TracePlan first = plans.getFirst();
        int[][] generated = first.graph.steps() > 0 ? generate(model, execs.getFirst()) : null;
        if (generated == null) {
            for (int pass = 0; pass < first.passes().size(); pass++) forward(model, execs, pass);
        }
        if (first.hasBackward()) backward(execs);
        List<Result> out = new ArrayList<>();
        int rows = execs.stream().mapToInt(e -> e.plan.passes().getFirst().length).sum();
        for (Exec e : execs) {
            e.advanceTo(TracePlan.AFTER_BACKWARD);
            out.add(e.result(generated, plans.size() > 1 ? rows : e.plan.passes().getFirst().length));
        }
        return out;
    }

    /** Whether two plans may run as rows of one forward pass with every row's bits as if alone. */
    public static boolean canShare(TracePlan a, TracePlan b) {
        return a.graph.steps() == 0 && b.graph.steps() == 0 && a.passes().size() == 1 && b.passes().size() == 1
                && a.tokens(0) == b.tokens(0) && a.tokens(0) >= TracePlan.MIN_SHARED_TOKENS
                && a.hasBackward() == b.hasBackward() && a.attentionPathLayers().equals(b.attentionPathLayers());
    }

    private static void forward(HookedTransformer model, List<Exec> execs, int pass) {
        List<int[]> tokens = new ArrayList<>();
        int base = 0;
        for (Exec e : execs) {
            e.rowBase = base;
            for (int inv : e.plan.passes().get(pass)) tokens.add(e.plan.graph.invokes().get(inv).tokens());
            base += e.plan.passes().get(pass).length;
        }
        Hooks hooks = hooks(model, execs, pass);
        boolean full = execs.stream().anyMatch(e -> e.plan.hasBackward() || e.active(pass, null));
        int stop = -1;
        if (!full) { // like TransformerLens's stop_at_layer: run no block after the last one anything reads or writes
            boolean finalNorm = false;
            int last = 0;
            for (Exec e : execs) {
                for (HookSpec s : model.hooks().specs()) {
                    if (!e.active(pass, s)) continue;
                    if (s.site() == Site.LN_FINAL) finalNorm = true;
                    last = Math.max(last, s.layer());
                }
            }
            stop = finalNorm ? -1 : last;
        }
        Tensor logits = model.forward(tokens.toArray(int[][]::new), hooks, null, new ForwardOptions(stop, false));
        if (stop < 0) for (Exec e : execs) e.fire(pass, null, logits);
        for (Exec e : execs) e.passDone(pass);
    }

    /** Greedy generation, one pass per step; hooks of step s fire in pass s. */
    private static int[][] generate(HookedTransformer model, Exec e) {
        TracePlan p = e.plan;
        int rows = p.graph.invokes().size(), steps = p.graph.steps(), len = p.tokens(0);
        KvCache kv = new KvCache(model.config(), rows, Math.min(model.config().nCtx(), len + steps));
        int[][] input = new int[rows][];
        for (int r = 0; r < rows; r++) input[r] = p.graph.invokes().get(r).tokens();
        int[][] out = new int[rows][steps];
        Sampler[] samplers = new Sampler[rows];
        for (int r = 0; r < rows; r++) samplers[r] = new Sampler(Sampling.GREEDY);
        int vocab = model.config().dVocab();
        e.rowBase = 0;
        for (int s = 0; s < steps; s++) {
            Tensor logits = model.forward(input, hooks(model, List.of(e), s), kv, ForwardOptions.LAST_LOGITS); // [rows, 1, d_vocab]
            e.fire(s, null, logits);
            e.passDone(s);
            int[][] next = new int[rows][1];
            for (int r = 0; r < rows; r++) next[r][0] = out[r][s] = samplers[r].next(logits.data(), r * vocab, vocab);
            input = next;
        }
        return out;
    }

    private static Hooks hooks(HookedTransformer model, List<Exec> execs, int pass) {
        Hooks.Builder b = Hooks.builder(model.hooks());
        if (execs.getFirst().plan.hasBackward()) { // as GradientRun does: differentiate from the embeddings on
            for (HookSpec s : model.hooks().specs()) {
                if (s.site() == Site.EMBED || s.site() == Site.POS_EMBED || s.site() == Site.TOKEN_TYPE_EMBED) b.add(s, (x, ctx) -> x.requiresGrad(true));
            }
        }
        for (HookSpec s : model.hooks().specs()) {
            if (execs.stream().noneMatch(e -> e.active(pass, s))) continue;
            b.add(s, (x, ctx) -> {
                Tensor y = x;
                for (Exec e : execs) y = e.fire(pass, s, y);
                return y;
            });
        }
        return b.build();
    }

    private static void backward(List<Exec> execs) {
        List<Tensor> roots = new ArrayList<>();
        for (Exec e : execs) {
            Tensor r = e.values[e.plan.graph.nodes().get(e.plan.backward).in()[0]];
            if (!r.tracked()) {
                TraceGraph.Node n = e.plan.graph.nodes().get(e.plan.backward);
                throw TraceException.bad(n, "the backward scalar does not depend on the model's activations");
            }
            roots.add(r.reshape(1));
        }
        Autograd.backward(roots.size() == 1 ? roots.getFirst() : Ops.add(roots.toArray(Tensor[]::new)));
        for (Exec e : execs) e.gradsReady();
    }

    /** One trace's state while it runs. */
    private static final class Exec {
        final TracePlan plan;
        final HookedTransformer model;
        final Tensor[] values;
        final int[] order;
        final Map<Long, List<Integer>> reads = new HashMap<>(), writes = new HashMap<>(), grads = new HashMap<>();
        final Map<Long, Tensor> gradients = new HashMap<>();
        final long deadline, maxBytes;
        int cursor;
        int rowBase;
        long bytes;

        Exec(TracePlan plan, HookedTransformer model, long deadline, long maxBytes) {
            this.plan = plan;
            this.model = model;
            this.deadline = deadline;
            this.maxBytes = maxBytes;
            int n = plan.ops.length;
            values = new Tensor[n];
            order = IntStream.range(0, n).boxed().sorted(Comparator.<Integer>comparingLong(i -> plan.time[i]).thenComparingInt(i -> i)).mapToInt(Integer::intValue).toArray();
            for (int i = 0; i < n; i++) {
                TraceOp op = plan.ops[i];
                if (op == TraceOp.HOOK || op == TraceOp.WRITE || op == TraceOp.GRAD) {
                    long t = plan.at(plan.passOfNode[i], plan.hookIndex(plan.hookOf[i]));
                    (op == TraceOp.HOOK ? reads : op == TraceOp.WRITE ? writes : grads).computeIfAbsent(t, k -> new ArrayList<>()).add(i);
                }
            }
        }

        /** Whether anything of this trace happens at hook {@code s} (null: the logits) in {@code pass}. */
        boolean active(int pass, HookSpec s) {
            long t = plan.at(pass, plan.hookIndex(s));
            return reads.containsKey(t) || writes.containsKey(t) || grads.containsKey(t);
        }

        int row(int node) {
            int invoke = plan.graph.nodes().get(node).integer("invoke", 0);
            return rowBase + plan.rowOf[invoke];
        }

        /** The hook fires with activation x [rows, ...]: read rows, compute what is now computable, write rows. */
        Tensor fire(int pass, HookSpec s, Tensor x) {
            if (System.nanoTime() > deadline) throw new TraceException(503, -1, null, "the trace ran past its time limit (at " + (s == null ? "logits" : s.name()) + ")");
            long t = plan.at(pass, plan.hookIndex(s));
            for (int r : reads.getOrDefault(t, List.of())) set(r, TensorMath.index(x, rowIndex(row(r))));
            advanceTo(t);
            Tensor y = x;
            for (int w : writes.getOrDefault(t, List.of())) y = TensorMath.indexPut(y, rowIndex(row(w)), values[plan.graph.nodes().get(w).in()[0]]);
            if (grads.containsKey(t)) {
                y.onGrad(g -> {
                    gradients.put(t, g);
                    return g;
                });
            }
            return y;
        }

        /** Checks that every node of a finished pass ran (a hook that did not fire would leave nodes unset). */
        void passDone(int pass) {
            long end = plan.at(pass, plan.hookCount);
            advanceTo(end);
            for (List<Integer> rs : reads.values()) {
                for (int r : rs) {
                    if (plan.time[r] <= end && values[r] == null) {
                        throw TraceException.bad(plan.graph.nodes().get(r), "hook " + plan.hookOf[r].name() + " did not fire in this pass");
                    }
                }
            }
        }

        void gradsReady() {
            for (var e : grads.entrySet()) {
                Tensor g = gradients.get(e.getKey());
                for (int n : e.getValue()) {
                    if (g == null) throw TraceException.bad(plan.graph.nodes().get(n), "no gradient reached this hook from the backward scalar");
                    set(n, TensorMath.index(g, rowIndex(row(n))).copy());
                }
            }
        }

        static List<Indexing.Item> rowIndex(int row) {
            return List.of(new Indexing.Pick(new int[] {row}));
        }

        /** Computes, in order, every node whose time has come. */
        void advanceTo(long t) {
            while (cursor < order.length && plan.time[order[cursor]] <= t) {
                int i = order[cursor++];
                if (values[i] != null) continue;
                TraceOp op = plan.ops[i];
                if (op == TraceOp.HOOK || op == TraceOp.GRAD || op == TraceOp.WRITE || op == TraceOp.SAVE || op == TraceOp.BACKWARD) continue;
                if (System.nanoTime() > deadline) throw new TraceException(503, i, plan.graph.nodes().get(i).line(), "the trace ran past its time limit");
                set(i, compute(plan.graph.nodes().get(i), op));
            }
        }

        void set(int i, Tensor v) {
            if (!Arrays.equals(v.shape(), plan.shapes[i])) {
                throw new IllegalStateException("node " + i + ": computed shape " + Arrays.toString(v.shape()) + " but inferred " + Arrays.toString(plan.shapes[i]));
            }
            bytes += 4L * v.numel();
            if (bytes > maxBytes) {
                TraceGraph.Node n = plan.graph.nodes().get(i);
                throw new TraceException(413, i, n.line(), "the trace's values reached " + (bytes >> 20) + " MiB, past the limit of " + (maxBytes >> 20) + " MiB");
            }
            values[i] = v;
        }

        Tensor in(TraceGraph.Node n, int k) {
            return values[n.in()[k]];
        }

        Tensor compute(TraceGraph.Node n, TraceOp op) {
            int id = n.id();
            Tensor x = n.in().length > 0 ? in(n, 0) : null;
            return switch (op) {
                case CONST, STORED -> (Tensor) plan.parsed[id];
                case FULL -> {
                    Tensor t = Tensor.zeros(plan.shapes[id]);
                    Arrays.fill(t.data(), n.attrs().get("value").floatValue());
                    yield t;
                }
                case INDEX -> TensorMath.index(x, items(id));
                case INDEX_PUT -> TensorMath.indexPut(x, items(id), in(n, 1));
                case ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, EQ, NE, LT, LE, GT, GE -> TensorMath.binary(Binary.valueOf(op.name()), x, in(n, 1));
                case NEG, EXP, LOG, SQRT, ABS, RELU -> TensorMath.unary(Unary.valueOf(op.name()), x);
                case CLAMP -> Ops.clamp(x, n.has("min") ? n.attrs().get("min").floatValue() : Float.NEGATIVE_INFINITY,
                        n.has("max") ? n.attrs().get("max").floatValue() : Float.POSITIVE_INFINITY);
                case WHERE -> {
                    int[] s = plan.shapes[id];
                    float[] c = TensorMath.broadcastTo(x.copy(), s).data();
                    boolean[] mask = new boolean[c.length];
                    for (int i = 0; i < c.length; i++) mask[i] = c[i] != 0;
                    yield Ops.where(mask, TensorMath.broadcastTo(in(n, 1), s), TensorMath.broadcastTo(in(n, 2), s));
                }
                case MATMUL -> {
                    Tensor a = x.rank() == 1 ? x.reshape(1, x.size(0)) : x, b = in(n, 1);
                    if (b.rank() == 1) b = b.reshape(b.size(0), 1);
                    yield TensorMath.matmul(a, b).reshape(plan.shapes[id]);
                }
                case EINSUM -> {
                    Tensor[] xs = new Tensor[n.in().length];
                    for (int k = 0; k < xs.length; k++) xs[k] = in(n, k);
                    yield TensorMath.einsum((Einsum) plan.parsed[id], xs);
                }
                case SUM -> sum(x, (int[]) plan.parsed[id], keep(n));
                case MEAN -> {
                    long count = 1;
                    for (int a : (int[]) plan.parsed[id]) count *= x.size(a);
                    yield TensorMath.binary(Binary.DIV, sum(x, (int[]) plan.parsed[id], keep(n)), Tensor.scalar(count));
                }
                case NORM -> TensorMath.unary(Unary.SQRT, sum(TensorMath.binary(Binary.MUL, x, x), (int[]) plan.parsed[id], keep(n)));
                case MAX, MIN -> {
                    int[] axes = (int[]) plan.parsed[id];
                    Tensor y = x;
                    for (int k = axes.length - 1; k >= 0; k--) y = TensorMath.extreme(y, axes[k], keep(n), op == TraceOp.MAX);
                    yield y;
                }
                case ARGMAX -> {
                    if (!n.has("axis")) yield TensorMath.argmax(x.copy().reshape(-1), 0, false).reshape(plan.shapes[id]);
                    yield TensorMath.argmax(x, ((int[]) plan.parsed[id])[0], keep(n));
                }
                case SOFTMAX -> TensorMath.softmax(x, (int) plan.parsed[id]);
                case LOG_SOFTMAX -> TensorMath.logSoftmax(x, (int) plan.parsed[id]);
                case TOPK -> {
                    int k = n.integer("k", null), width = x.size(-1);
                    int[] map = TensorMath.topkMap(x, k);
                    if (n.attrs().get("part").asText().equals("values")) yield TensorMath.gather(x, map, plan.shapes[id]);
                    float[] idx = new float[map.length];
                    for (int i = 0; i < idx.length; i++) idx[i] = map[i] % width;
                    yield Tensor.of(idx, plan.shapes[id]);
                }
                case CAT, STACK -> {
                    int axis = (int) plan.parsed[id];
                    Tensor[] xs = new Tensor[n.in().length];
                    for (int k = 0; k < xs.length; k++) {
                        xs[k] = in(n, k);
                        if (op == TraceOp.STACK) {
                            int[] s = xs[k].shape();
                            xs[k] = xs[k].reshape(TensorMath.concat(Arrays.copyOf(s, axis), TensorMath.concat(new int[] {1}, Arrays.copyOfRange(s, axis, s.length))));
                        }
                    }
                    yield TensorMath.cat(xs, axis);
                }
                case RESHAPE -> x.reshape((int[]) plan.parsed[id]);
                case TRANSPOSE -> TensorMath.transpose(x, (int[]) plan.parsed[id]);
                case UNEMBED -> model.unembed(x);
                case LN_FINAL -> finalNorm(model, x);
                case SAE_ENCODE -> ((TraceSae) plan.parsed[id]).encode(x);
                case SAE_DECODE -> ((TraceSae) plan.parsed[id]).decode(x);
                case HOOK, GRAD, WRITE, SAVE, BACKWARD -> throw new IllegalStateException("not computed: " + op);
            };
        }

        @SuppressWarnings("unchecked")
        List<Indexing.Item> items(int id) {
            return (List<Indexing.Item>) plan.parsed[id];
        }

        static boolean keep(TraceGraph.Node n) {
            return n.attrs().path("keepdims").asBoolean(false);
        }

        static Tensor sum(Tensor x, int[] axes, boolean keep) {
            Tensor y = x;
            for (int k = axes.length - 1; k >= 0; k--) y = TensorMath.sum(y, axes[k], keep);
            return y;
        }

        Result result(int[][] generated, int batchRows) {
            Map<String, TraceValue> saved = new LinkedHashMap<>();
            Set<String> store = new LinkedHashSet<>();
            for (TraceGraph.Node n : plan.graph.nodes()) {
                if (plan.ops[n.id()] != TraceOp.SAVE) continue;
                String name = n.attrs().get("name").asText();
                Tensor v = values[n.in()[0]];
                if (v == null) throw TraceException.bad(n, "the saved value was never computed");
                saved.put(name, new TraceValue(v.copy(), plan.dtypes[n.id()]));
                if (n.attrs().path("store").asBoolean(false)) store.add(name);
            }
            return new Result(saved, store, generated, batchRows);
        }
    }

    /** The model's final norm (the one before the unembedding) applied to x [..., d_model]. */
    static Tensor finalNorm(HookedTransformer model, Tensor x) {
        return model.norm(x, model.weights().lnFinal());
    }
}
