package dev.loupe.interp.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Builds a trace graph from Java, the same graph the Python client records: hook reads, tensor operations, hook
 * writes, saves and a backward pass. Run it in process with {@link TraceRunner} or send {@link #graph()} to a server.
 *
 * <pre>{@code
 * Trace t = Trace.of(tokens);
 * Trace.Value resid = t.hook("blocks.1.hook_resid_post");
 * t.write("blocks.1.hook_resid_post", 0, resid.indexPut(resid.index(Trace.ALL, -1).mul(2f), Trace.ALL, -1));
 * t.save("logits", t.hook("logits").index(0, -1));
 * }</pre>
 */
public final class Trace {
    /** {@code :} in an index. */
    public static final Object ALL = slice(null, null);
    /** {@code ...} in an index. */
    public static final Object ELLIPSIS = "...";

    private final List<TraceGraph.Invoke> invokes = new ArrayList<>();
    private final int steps;
    private final List<TraceGraph.Node> nodes = new ArrayList<>();

    private Trace(int steps, int[][] inputs) {
        this.steps = steps;
        for (int[] ids : inputs) invokes.add(new TraceGraph.Invoke(ids.clone(), null, false));
    }

    /** A forward trace with one invoke per token sequence. */
    public static Trace of(int[]... inputs) {
        return new Trace(0, inputs);
    }

    /** A greedy generation of {@code steps} tokens from each prompt (prompts of one length). */
    public static Trace generate(int steps, int[]... prompts) {
        return new Trace(steps, prompts);
    }

    /** {@code start:stop} (either may be null). */
    public static Object slice(Integer start, Integer stop) {
        ObjectNode o = TraceGraph.JSON.createObjectNode();
        ArrayNode s = o.putArray("slice");
        if (start == null) s.addNull(); else s.add(start);
        if (stop == null) s.addNull(); else s.add(stop);
        s.addNull();
        return o;
    }

    public TraceGraph graph() {
        return new TraceGraph(TraceGraph.VERSION, List.copyOf(invokes), steps, List.copyOf(nodes));
    }

    /** A value of the graph being built. */
    public final class Value {
        final int id;

        Value(int id) {
            this.id = id;
        }

        public Value op(String op, ObjectNode attrs, Value... more) {
            Value[] in = new Value[more.length + 1];
            in[0] = this;
            System.arraycopy(more, 0, in, 1, more.length);
            return node(op, attrs, in);
        }

        public Value add(Value o) { return op("add", null, o); }
        public Value sub(Value o) { return op("sub", null, o); }
        public Value mul(Value o) { return op("mul", null, o); }
        public Value div(Value o) { return op("div", null, o); }
        public Value mul(float s) { return mul(constant(Tensor.scalar(s))); }
        public Value matmul(Value o) { return op("matmul", null, o); }
        public Value unembed() { return op("unembed", null); }
        public Value lnFinal() { return op("ln_final", null); }
        public Value saeEncode(String sae) { return op("sae_encode", attrs().put("sae", sae)); }
        public Value saeDecode(String sae) { return op("sae_decode", attrs().put("sae", sae)); }
        public Value softmax(int axis) { return op("softmax", attrs().put("axis", axis)); }
        public Value logSoftmax(int axis) { return op("log_softmax", attrs().put("axis", axis)); }
        public Value sum() { return op("sum", null); }
        public Value mean(int axis) { return op("mean", attrs().put("axis", axis)); }

        /** NumPy-style index: Integer, {@link #slice}, int[] (a list), {@link #ELLIPSIS}, or null (a new axis). */
        public Value index(Object... items) {
            return op("index", indexAttrs(items));
        }

        /** This value with {@code [items] = v}. */
        public Value indexPut(Value v, Object... items) {
            return op("index_put", indexAttrs(items), v);
        }
    }

    private static ObjectNode indexAttrs(Object[] items) {
        ObjectNode o = attrs();
        ArrayNode a = o.putArray("index");
        for (Object it : items) {
            switch (it) {
                case null -> a.addNull();
                case Integer i -> a.add(i);
                case int[] list -> {
                    ArrayNode l = a.addArray();
                    for (int i : list) l.add(i);
                }
                case String s -> a.add(s);
                case JsonNode j -> a.add(j);
                default -> throw new IllegalArgumentException("unknown index item " + it);
            }
        }
        return o;
    }

    static ObjectNode attrs() {
        return TraceGraph.JSON.createObjectNode();
    }

    private Value node(String op, ObjectNode attrs, Value... in) {
        int[] ids = new int[in.length];
        for (int i = 0; i < in.length; i++) ids[i] = in[i].id;
        nodes.add(new TraceGraph.Node(nodes.size(), op, ids, attrs == null ? attrs() : attrs, null));
        return new Value(nodes.size() - 1);
    }

    public Value hook(String name) {
        return hook(name, 0);
    }

    public Value hook(String name, int invoke) {
        return node("hook", attrs().put("hook", name).put("invoke", invoke));
    }

    /** A hook's activation at a generation step (0: the prompt). */
    public Value hookAt(String name, int invoke, int step) {
        return node("hook", attrs().put("hook", name).put("invoke", invoke).put("step", step));
    }

    /** The gradient at a hook, available once {@link #backward} has run. */
    public Value grad(String name, int invoke) {
        return node("grad", attrs().put("hook", name).put("invoke", invoke));
    }

    public Value constant(Tensor t) {
        ObjectNode a = attrs();
        ArrayNode s = a.putArray("shape");
        for (int d : t.shape()) s.add(d);
        ByteBuffer b = ByteBuffer.allocate(4 * t.numel()).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(t.data());
        a.put("data", Base64.getEncoder().encodeToString(b.array()));
        return node("const", a);
    }

    public Value stored(String handle) {
        return node("stored", attrs().put("handle", handle));
    }

    public void write(String hook, int invoke, Value v) {
        node("write", attrs().put("hook", hook).put("invoke", invoke), v);
    }

    public void writeAt(String hook, int invoke, int step, Value v) {
        node("write", attrs().put("hook", hook).put("invoke", invoke).put("step", step), v);
    }

    public void save(String name, Value v) {
        node("save", attrs().put("name", name), v);
    }

    /** Saves and keeps the value on the server under {@code name} for later traces. */
    public void store(String name, Value v) {
        node("save", attrs().put("name", name).put("store", true), v);
    }

    public void backward(Value scalar) {
        node("backward", null, scalar);
    }
}
