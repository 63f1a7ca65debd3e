package dev.loupe.interp.trace;

import java.util.Locale;

/**
 * The fixed list of operations a trace graph may use, with how many inputs each takes (-1: one or more) and
 * whether a gradient flows through it. Anything else is refused before a graph runs.
 */
enum TraceOp {
    // inputs and effects
    HOOK(0, true), GRAD(0, false), CONST(0, false), FULL(0, false), STORED(0, false), WRITE(1, true), SAVE(1, false), BACKWARD(1, true),
    // indexing
    INDEX(1, true), INDEX_PUT(2, true),
    // elementwise
    ADD(2, true), SUB(2, true), MUL(2, true), DIV(2, true), POW(2, true), MAXIMUM(2, true), MINIMUM(2, true),
    EQ(2, false), NE(2, false), LT(2, false), LE(2, false), GT(2, false), GE(2, false),
    NEG(1, true), EXP(1, true), LOG(1, true), SQRT(1, true), ABS(1, true), RELU(1, true), CLAMP(1, true), WHERE(3, true),
    // products and reductions
    MATMUL(2, true), EINSUM(-1, false), SUM(1, true), MEAN(1, true), MAX(1, true), MIN(1, true), ARGMAX(1, false), NORM(1, true),
    SOFTMAX(1, true), LOG_SOFTMAX(1, true), TOPK(1, true),
    // shapes
    CAT(-1, true), STACK(-1, true), RESHAPE(1, true), TRANSPOSE(1, true),
    // the model's own pieces
    UNEMBED(1, true), LN_FINAL(1, true), SAE_ENCODE(1, false), SAE_DECODE(1, false);

    final int arity;
    final boolean differentiable;

    TraceOp(int arity, boolean differentiable) {
        this.arity = arity;
        this.differentiable = differentiable;
    }

    /** The op's name in a graph (lower case). */
    String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    static TraceOp of(TraceGraph.Node n) {
        for (TraceOp o : values()) if (o.wire().equals(n.op())) return o;
        StringBuilder all = new StringBuilder();
        for (TraceOp o : values()) all.append(all.isEmpty() ? "" : ", ").append(o.wire());
        throw TraceException.bad(n, "op '" + n.op() + "' is not on the list of trace operations (" + all + ")");
    }
}
