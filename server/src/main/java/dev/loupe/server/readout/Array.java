package dev.loupe.server.readout;

import java.util.Arrays;

/**
 * A row-major float array with its shape, and the few shape-changing operations server-side reductions need.
 * Each returns a new array; the input is never written.
 */
public record Array(float[] data, int[] shape) {

    int outer(int axis) {
        int n = 1;
        for (int i = 0; i < axis; i++) n *= shape[i];
        return n;
    }

    int inner(int axis) {
        int n = 1;
        for (int i = axis + 1; i < shape.length; i++) n *= shape[i];
        return n;
    }

    /** The entries at {@code index} along {@code axis} (negative indices count from the end). */
    public Array select(int axis, int[] index, String what) {
        int size = shape[axis], outer = outer(axis), inner = inner(axis);
        int[] idx = new int[index.length];
        for (int i = 0; i < index.length; i++) {
            int j = index[i] < 0 ? size + index[i] : index[i];
            if (j < 0 || j >= size) throw new IllegalArgumentException(what + ": index " + index[i] + " is outside 0.." + (size - 1));
            idx[i] = j;
        }
        float[] out = new float[outer * idx.length * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < idx.length; i++) {
                System.arraycopy(data, (o * size + idx[i]) * inner, out, (o * idx.length + i) * inner, inner);
            }
        }
        int[] s = shape.clone();
        s[axis] = idx.length;
        return new Array(out, s);
    }

    /** Mean, max or sum over {@code axis}, which disappears. */
    public Array reduce(int axis, Reduce op) {
        int size = shape[axis], outer = outer(axis), inner = inner(axis);
        float[] out = new float[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                double acc = op == Reduce.MAX ? Double.NEGATIVE_INFINITY : 0;
                for (int i = 0; i < size; i++) {
                    float v = data[(o * size + i) * inner + j];
                    acc = op == Reduce.MAX ? Math.max(acc, v) : acc + v;
                }
                out[o * inner + j] = (float) (op == Reduce.MEAN ? acc / size : acc);
            }
        }
        return new Array(out, drop(axis));
    }

    /** L2 norm over the last axis, which disappears. */
    public Array norm() {
        int d = shape[shape.length - 1], rows = data.length / d;
        float[] out = new float[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int i = 0; i < d; i++) s += (double) data[r * d + i] * data[r * d + i];
            out[r] = (float) Math.sqrt(s);
        }
        return new Array(out, drop(shape.length - 1));
    }

    /** Dot products of the last axis with each of {@code directions} [k][d]: the last axis becomes k. */
    public Array project(float[][] directions, String what) {
        int d = shape[shape.length - 1], rows = data.length / d, k = directions.length;
        for (int j = 0; j < k; j++) {
            if (directions[j].length != d) {
                throw new IllegalArgumentException(what + "[" + j + "]: direction has " + directions[j].length + " entries but the activation's last axis has " + d);
            }
        }
        float[] out = new float[rows * k];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) {
                double s = 0;
                for (int i = 0; i < d; i++) s += (double) data[r * d + i] * directions[j][i];
                out[r * k + j] = (float) s;
            }
        }
        int[] s = shape.clone();
        s[s.length - 1] = k;
        return new Array(out, s);
    }

    /** The k largest entries of the last axis, largest first: values and their indices. */
    public TopK topk(int k) {
        int d = shape[shape.length - 1], rows = data.length / d;
        int kk = Math.min(k, d);
        float[] vals = new float[rows * kk];
        long[] idx = new long[rows * kk];
        Integer[] order = new Integer[d];
        for (int r = 0; r < rows; r++) {
            int base = r * d;
            for (int i = 0; i < d; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> {
                int c = Float.compare(data[base + b], data[base + a]);
                return c != 0 ? c : Integer.compare(a, b);
            });
            for (int i = 0; i < kk; i++) {
                vals[r * kk + i] = data[base + order[i]];
                idx[r * kk + i] = order[i];
            }
        }
        int[] s = shape.clone();
        s[s.length - 1] = kk;
        return new TopK(new Array(vals, s), idx);
    }

    /** Values and int64 indices of a top-k, both shaped like {@code values}. */
    public record TopK(Array values, long[] indices) {}

    private int[] drop(int axis) {
        int[] s = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != axis) s[j++] = shape[i];
        return s;
    }

    /** Reductions over the position axis. */
    public enum Reduce { MEAN, MAX, SUM }
}
