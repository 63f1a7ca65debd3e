package dev.loupe.interp.trace;

/**
 * A trace refused or stopped, naming the node ({@code node 12}) and, when the client recorded it, the line of the
 * user's code that made the node. {@code status} is the HTTP status a server answers with (400 bad graph,
 * 413 too large, 503 over time).
 */
public final class TraceException extends RuntimeException {
    private final int node;
    private final int status;

    public TraceException(int status, int node, String line, String message) {
        super(where(node, line) + message);
        this.node = node;
        this.status = status;
    }

    public static TraceException bad(TraceGraph.Node n, String message) {
        return new TraceException(400, n.id(), n.line(), message);
    }

    static String where(int node, String line) {
        if (node < 0) return "";
        return "node " + node + (line == null || line.isBlank() ? "" : " (" + line + ")") + ": ";
    }

    /** The node at fault, or -1 for the graph as a whole. */
    public int node() {
        return node;
    }

    public int status() {
        return status;
    }
}
