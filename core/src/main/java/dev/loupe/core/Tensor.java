package dev.loupe.core;

import dev.loupe.core.kernels.PackedMatrix;
import java.util.Arrays;

/**
 * A dense, row-major, contiguous float32 tensor: the one numeric container of Loupe.
 * Reshapes share storage; everything else copies, so a tensor handed to a hook is never
 * changed behind its back by the forward pass.
 *
 * <p>A loaded linear weight or embedding table may instead be held only as a {@link PackedMatrix}
 * ({@link #packed(PackedMatrix)}), float32 or 16-bit, its one resident copy: linear layers, their backward
 * pass and embedding lookups ({@link #row}) read the panels. Asking such a tensor for {@link #data()}
 * unpacks it to float32 once (a second copy), for code that needs the plain array.
 *
 * <p>A tensor also carries what reverse-mode differentiation needs: whether gradients flow to it
 * ({@link #requiresGrad}), the operation that produced it, its accumulated gradient, and gradient
 * hooks. Tensors nobody differentiates pay one null field and one boolean.
 */
public final class Tensor {
    private volatile float[] data; // null while a weight is held only packed
    private final int[] shape;
    private final int numel;
    private boolean requiresGrad;
    Autograd.Node node;
    Tensor grad;
    java.util.List<GradHook> gradHooks;
    private volatile PackedMatrix packed;

    private Tensor(float[] data, int[] shape) {
        long n = numel(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " elements but the data has " + data.length);
        }
        this.data = data;
        this.shape = shape;
        this.numel = (int) n;
    }

    private Tensor(PackedMatrix packed) {
        this.shape = new int[] {packed.n(), packed.k()};
        long n = (long) packed.n() * packed.k();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("weight " + Arrays.toString(shape) + " is too large for one tensor");
        this.numel = (int) n;
        this.packed = packed;
    }

    /** A weight W [n, k] held only as its packed transpose {@code p}: one copy, in p's precision. */
    public static Tensor packed(PackedMatrix p) {
        return new Tensor(p);
    }

    /** Wraps {@code data} (not copied) with the given shape. */
    public static Tensor of(float[] data, int... shape) {
        return new Tensor(data, shape.clone());
    }

    public static Tensor zeros(int... shape) {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " is too large for one array");
        }
        return new Tensor(new float[(int) n], shape.clone());
    }

    public static Tensor scalar(float v) {
        return new Tensor(new float[] {v}, new int[0]);
    }

    public static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= s;
        }
        return n;
    }

    /**
     * The backing array: row-major, length {@link #numel()}. Writes are visible to every view. A weight held
     * only packed is unpacked to float32 on the first call and keeps both forms from then on.
     */
    public float[] data() {
        float[] d = data;
        if (d != null) return d;
        synchronized (this) {
            if (data == null) data = packed.unpack();
            return data;
        }
    }

    /** Whether the values are held as a plain float32 array (false for a weight held only packed). */
    public boolean hasData() {
        return data != null;
    }

    /** Row {@code r} of this matrix [rows, cols] as float32 into {@code dst[off..off + cols)}, from whichever form is held. */
    public void row(int r, float[] dst, int off) {
        if (shape.length != 2) throw new IllegalStateException("row of a tensor of shape " + Arrays.toString(shape));
        float[] d = data;
        if (d != null) {
            if (r < 0 || r >= shape[0]) throw new IndexOutOfBoundsException("row " + r + " of a matrix of shape " + Arrays.toString(shape));
            System.arraycopy(d, r * shape[1], dst, off, shape[1]);
        } else {
            packed.row(r, dst, off);
        }
    }

    /** Bytes this tensor holds in memory: its float32 array and its packed form, whichever exist. */
    public long residentBytes() {
        PackedMatrix p = packed;
        return (data != null ? 4L * numel : 0) + (p != null ? p.bytes() : 0);
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code d}; negative {@code d} counts from the end. */
    public int size(int d) {
        return shape[d < 0 ? shape.length + d : d];
    }

    public int numel() {
        return numel;
    }

    /** A view with another shape over the same data; one dimension may be -1 (inferred). Differentiable. */
    public Tensor reshape(int... newShape) {
        Tensor view = reshapeView(newShape);
        if (tracked()) {
            int[] original = shape.clone();
            Autograd.record(view, g -> Autograd.accumulate(this, g.reshapeView(original)), this);
        }
        return view;
    }

    private Tensor reshapeView(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("only one -1 allowed in " + Arrays.toString(newShape));
                infer = i;
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
            }
            s[infer] = (int) (numel / known);
        }
        if (numel(s) != numel) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        }
        return new Tensor(data(), s);
    }

    /** A copy of the values, detached from any gradient graph. */
    public Tensor copy() {
        float[] d = data;
        return new Tensor(d != null ? d.clone() : packed.unpack(), shape.clone());
    }

    /**
     * Marks this tensor as a leaf whose gradient is accumulated into {@link #grad()} by
     * {@link Autograd#backward}: parameters, or an activation to differentiate with respect to.
     */
    public Tensor requiresGrad(boolean on) {
        if (node != null && !on) throw new IllegalStateException("cannot stop gradients of a computed tensor; use copy()");
        if (on) data(); // an optimizer writes the plain array
        requiresGrad = on;
        return this;
    }

    /** Whether this is a leaf marked for gradient accumulation. */
    public boolean isRequiresGrad() {
        return requiresGrad;
    }

    /** Whether gradients flow into this tensor: a marked leaf or the result of a tracked operation. */
    public boolean tracked() {
        return requiresGrad || node != null;
    }

    /** The gradient accumulated by backward passes (leaves), or retained by {@link #retainGrad()}; null if none. */
    public Tensor grad() {
        return grad;
    }

    /** Clears the accumulated gradient. */
    public void zeroGrad() {
        grad = null;
    }

    /** Keeps this intermediate tensor's gradient in {@link #grad()} after a backward pass. */
    public Tensor retainGrad() {
        return onGrad(g -> {
            grad = g;
            return g;
        });
    }

    /** Adds a function that sees (and may replace) this tensor's gradient during backward passes. */
    public Tensor onGrad(GradHook hook) {
        if (gradHooks == null) gradHooks = new java.util.ArrayList<>(1);
        gradHooks.add(hook);
        return this;
    }

    /**
     * This matrix [n, k] (a linear weight) transposed and packed for {@link dev.loupe.core.kernels.Sgemm#gemmPacked},
     * built on first use and kept until {@link #markModified()}: for a weight held only packed, its one copy.
     */
    public PackedMatrix packedTranspose() {
        PackedMatrix p = packed;
        if (p == null) {
            if (shape.length != 2) throw new IllegalStateException("only a matrix can be packed, not shape " + Arrays.toString(shape));
            synchronized (this) {
                p = packed;
                if (p == null) packed = p = PackedMatrix.transposeOf(data, shape[0], shape[1]);
            }
        }
        return p;
    }

    /**
     * Drops forms derived from this tensor's data (the packed weight). Anything that writes a weight's data
     * in place after it was used (an optimizer step, a weight edit) must call this on the weight tensor.
     */
    public void markModified() {
        if (data != null) packed = null;
    }

    public float get(int... index) {
        return data()[offset(index)];
    }

    public void set(float v, int... index) {
        data()[offset(index)] = v;
    }

    /** Element offset of a full index, bounds-checked per dimension. */
    public int offset(int... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + index.length + " into tensor of shape " + Arrays.toString(shape));
        }
        int off = 0;
        for (int i = 0; i < shape.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " outside shape " + Arrays.toString(shape));
            }
            off = off * shape[i] + index[i];
        }
        return off;
    }

    /** Requires this tensor's shape to equal {@code expected}; {@code what} names it in the error. */
    public Tensor requireShape(String what, int... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException(what + ": expected shape " + Arrays.toString(expected)
                    + " but got " + Arrays.toString(shape));
        }
        return this;
    }

    public boolean sameShape(Tensor o) {
        return Arrays.equals(shape, o.shape);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
