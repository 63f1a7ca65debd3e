package dev.loupe.interp.trace;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An explicit Einstein summation ({@code "bhqk,bkd->bhqd"}): one lower-case letter per axis, no ellipsis, the
 * output after {@code ->}. Checked against the operand shapes (each letter one size).
 */
record Einsum(String[] inputs, String output, Map<Character, Integer> size) {

    static Einsum parse(String equation, int[][] shapes) {
        String eq = equation.replace(" ", "");
        int arrow = eq.indexOf("->");
        if (arrow < 0) throw new IllegalArgumentException("einsum needs an explicit output ('ij,jk->ik'), got '" + equation + "'");
        String[] ins = eq.substring(0, arrow).split(",", -1);
        String out = eq.substring(arrow + 2);
        if (ins.length != shapes.length) {
            throw new IllegalArgumentException("einsum '" + equation + "' has " + ins.length + " operands but " + shapes.length + " inputs were given");
        }
        Map<Character, Integer> size = new LinkedHashMap<>();
        for (int t = 0; t < ins.length; t++) {
            if (!ins[t].matches("[a-z]*")) throw new IllegalArgumentException("einsum subscripts are lower-case letters, got '" + ins[t] + "'");
            if (ins[t].length() != shapes[t].length) {
                throw new IllegalArgumentException("einsum operand " + t + " '" + ins[t] + "' has " + ins[t].length() + " letters but shape " + Arrays.toString(shapes[t]));
            }
            for (int i = 0; i < ins[t].length(); i++) {
                char c = ins[t].charAt(i);
                Integer prev = size.putIfAbsent(c, shapes[t][i]);
                if (prev != null && prev != shapes[t][i]) {
                    throw new IllegalArgumentException("einsum letter '" + c + "' is " + prev + " in one operand and " + shapes[t][i] + " in another");
                }
            }
        }
        for (char c : out.toCharArray()) {
            if (!size.containsKey(c)) throw new IllegalArgumentException("einsum output letter '" + c + "' is in no operand");
            if (out.indexOf(c) != out.lastIndexOf(c)) throw new IllegalArgumentException("einsum output repeats '" + c + "'");
        }
        return new Einsum(ins, out, size);
    }

    private int letter(char c) {
        int i = 0;
        for (char k : size.keySet()) {
            if (k == c) return i;
            i++;
        }
        throw new IllegalStateException();
    }

    int[] sizes() {
        return size.values().stream().mapToInt(Integer::intValue).toArray();
    }

    int[] outShape() {
        int[] s = new int[output.length()];
        for (int i = 0; i < s.length; i++) s[i] = size.get(output.charAt(i));
        return s;
    }

    long outNumel() {
        long n = 1;
        for (int s : outShape()) n *= s;
        return n;
    }

    /** Multiply-adds of the summation: the product of every letter's size. */
    long work() {
        long n = 1;
        for (int s : size.values()) n *= s;
        return n;
    }

    /** Stride of each letter in operand t (0 for letters it lacks; repeated letters add up: a diagonal). */
    int[] strides(int t) {
        return stridesOf(inputs[t]);
    }

    int[] outStrides() {
        return stridesOf(output);
    }

    private int[] stridesOf(String subs) {
        int[] st = new int[size.size()];
        int stride = 1;
        for (int i = subs.length() - 1; i >= 0; i--) {
            st[letter(subs.charAt(i))] += stride;
            stride *= size.get(subs.charAt(i));
        }
        return st;
    }
}
