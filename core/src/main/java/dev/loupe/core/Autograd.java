package dev.loupe.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Reverse-mode differentiation over the operations in {@link Ops}. An operation whose inputs are
 * tracked records a node holding a backward function (and only the tensors that function needs);
 * {@link #backward} walks the nodes from a scalar in reverse topological order, running gradient hooks
 * as each tensor's gradient becomes complete.
 */
public final class Autograd {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> true);

    private Autograd() {}

    /** Computes the input gradients from the output gradient and passes them to {@link #accumulate}. */
    @FunctionalInterface
    public interface Backward {
        void run(Tensor gradOut);
    }

    /** The operation that produced a tensor. */
    static final class Node {
        final Backward backward;
        final Tensor[] inputs;

        Node(Backward backward, Tensor[] inputs) {
            this.backward = backward;
            this.inputs = inputs;
        }
    }

    /** Whether any input is tracked while recording is enabled on this thread. */
    public static boolean needed(Tensor... inputs) {
        if (!ENABLED.get()) return false;
        for (Tensor t : inputs) if (t != null && t.tracked()) return true;
        return false;
    }

    /** Records {@code backward} as how {@code out} was computed from {@code inputs}, if any input is tracked. */
    public static void record(Tensor out, Backward backward, Tensor... inputs) {
        if (!needed(inputs)) return;
        out.node = new Node(backward, inputs);
    }

    /** Runs {@code body} without recording (inference inside a training loop, optimizer steps). */
    public static <T> T noGrad(Supplier<T> body) {
        boolean was = ENABLED.get();
        ENABLED.set(false);
        try {
            return body.get();
        } finally {
            ENABLED.set(was);
        }
    }

    private static final ThreadLocal<Map<Tensor, Tensor>> PENDING = new ThreadLocal<>();

    /** Adds {@code g} to the gradient flowing into {@code t} (ignored when t is not tracked). */
    public static void accumulate(Tensor t, Tensor g) {
        if (t == null || !t.tracked()) return;
        if (!Arrays.equals(t.shape(), g.shape())) {
            throw new IllegalStateException("gradient of shape " + Arrays.toString(g.shape()) + " for tensor " + Arrays.toString(t.shape()));
        }
        Map<Tensor, Tensor> pending = PENDING.get();
        if (pending == null) throw new IllegalStateException("accumulate outside a backward pass");
        Tensor prev = pending.get(t);
        pending.put(t, prev == null ? g : Ops.add(prev, g));
    }

    /** Backpropagates from a scalar (one element) with seed gradient 1. */
    public static void backward(Tensor root) {
        if (root.numel() != 1) throw new IllegalArgumentException("backward needs a scalar, got " + root + "; pass a seed gradient");
        backward(root, Tensor.of(new float[] {1f}, root.shape()));
    }

    /**
     * Backpropagates {@code seed} (the gradient of some scalar with respect to {@code root}) through the
     * recorded graph; leaves marked {@link Tensor#requiresGrad} accumulate into {@link Tensor#grad()}.
     * The graph is released afterwards.
     */
    public static void backward(Tensor root, Tensor seed) {
        if (!root.tracked()) throw new IllegalArgumentException("backward from a tensor that does not depend on anything tracked");
        List<Tensor> order = topologicalOrder(root);
        Map<Tensor, Tensor> pending = new IdentityHashMap<>();
        PENDING.set(pending);
        try {
            pending.put(root, seed);
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor g = pending.remove(t);
                if (g == null) continue;
                if (t.gradHooks != null) {
                    for (GradHook h : t.gradHooks) {
                        Tensor r = h.apply(g);
                        if (r != null) g = r;
                    }
                }
                if (t.node == null) {
                    if (t.isRequiresGrad()) t.grad = t.grad == null ? g : Ops.add(t.grad, g);
                } else {
                    t.node.backward.run(g);
                }
            }
        } finally {
            PENDING.remove();
            for (Tensor t : order) {
                t.node = null;
                t.gradHooks = null;
            }
        }
    }

    /** Tensors reachable from root, each after all tensors it was computed from. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        seen.add(root);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Tensor t = (Tensor) top[0];
            int next = (int) top[1];
            Tensor[] inputs = t.node == null ? new Tensor[0] : t.node.inputs;
            while (next < inputs.length && (inputs[next] == null || !inputs[next].tracked() || seen.contains(inputs[next]))) next++;
            if (next < inputs.length) {
                top[1] = next + 1;
                seen.add(inputs[next]);
                stack.push(new Object[] {inputs[next], 0});
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }
}
