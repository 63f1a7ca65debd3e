package dev.loupe.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One HTTP exchange as a handler sees it: the request body (bounded), and one way to answer: a JSON object, bytes
 * of a media type, or a stream of server-sent events. Remembers what it sent, for the request log.
 */
public final class Call {
    /** A parsed JSON tree takes several times its text; a body reserves this many bytes per byte read. */
    static final int PARSE_BYTES_PER_BYTE = 8;
    private static final int WRITE_CHUNK = 64 << 10;

    private final HttpExchange ex;
    private final String id;
    private final MemoryBudget budget;
    private final List<Long> reserved = new ArrayList<>();
    private int status;
    private long bytesOut;
    private long bytesIn;
    private String note = "";

    Call(HttpExchange ex, String id, MemoryBudget budget) {
        this.ex = ex;
        this.id = id;
        this.budget = budget;
    }

    /**
     * Reserves {@code bytes} of the server's memory budget for this call (released when it ends), or refuses the call
     * with 503 when requests in flight hold too much already.
     */
    public void reserve(long bytes, String what) {
        if (!budget.tryReserve(bytes)) {
            throw new ApiError(503, "server busy: " + what + " needs " + bytes + " bytes and requests in flight hold "
                    + budget.used() + " of " + budget.capacity() + "; retry shortly", 1);
        }
        reserved.add(bytes);
    }

    void releaseAll() {
        for (long r : reserved) budget.release(r);
        reserved.clear();
    }

    public String id() {
        return id;
    }

    public String header(String name) {
        return ex.getRequestHeaders().getFirst(name);
    }

    public String method() {
        return ex.getRequestMethod();
    }

    public String path() {
        return ex.getRequestURI().getPath();
    }

    int status() {
        return status;
    }

    long bytesOut() {
        return bytesOut;
    }

    long bytesIn() {
        return bytesIn;
    }

    String note() {
        return note;
    }

    /** Adds a key=value note to the request log line (e.g. the batch a forward rode in). */
    public void note(String s) {
        note = s;
    }

    boolean responded() {
        return status != 0;
    }

    /** The body, refused with 413 past {@code limit} bytes (before reading, when Content-Length says so). */
    public byte[] body(int limit) throws IOException {
        long declared = contentLength();
        if (declared > limit) throw ApiError.tooLarge("request body is " + declared + " bytes, larger than the limit of " + limit + " bytes");
        reserve(PARSE_BYTES_PER_BYTE * (declared >= 0 ? declared : limit), "the request body");
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes(limit + 1);
            bytesIn = b.length;
            if (b.length > limit) throw ApiError.tooLarge("request body is larger than the limit of " + limit + " bytes");
            return b;
        }
    }

    private long contentLength() {
        String v = header("Content-Length");
        try {
            return v == null ? -1 : Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("Content-Length '" + v + "' is not a number");
        }
    }

    public void json(int code, ObjectNode o) throws IOException {
        send(code, "application/json", Body.JSON.writeValueAsBytes(o));
    }

    public void send(int code, String type, byte[] bytes) throws IOException {
        // in chunks: the JDK server copies each write into a buffer twice its size, 20 MiB for a 10 MiB
        // response held as long as a slow reader takes
        stream(code, type, bytes.length, out -> {
            for (int off = 0; off < bytes.length; off += WRITE_CHUNK) out.write(bytes, off, Math.min(WRITE_CHUNK, bytes.length - off));
        });
    }

    /** A response body written straight to the connection as it is produced. */
    @FunctionalInterface
    public interface BodyWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Answers with a body that {@code body} writes as it produces it, {@code length} bytes (Content-Length), or chunked
     * when the length is only known once written (-1). A client that reads slowly holds back the writer (TCP flow
     * control), never a copy of the whole body; the server's response time limit ends a reader that stalls.
     */
    public void stream(int code, String type, long length, BodyWriter body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        protect();
        status = code;
        ex.sendResponseHeaders(code, length == 0 ? -1 : length < 0 ? 0 : length);
        try (OutputStream out = ex.getResponseBody()) {
            body.writeTo(new java.io.FilterOutputStream(out) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    bytesOut += len;
                }

                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                    bytesOut++;
                }
            });
        }
    }

    /** Every response: no MIME sniffing (a JSON error is never run as a script), no framing by other sites. */
    private void protect() {
        var h = ex.getResponseHeaders();
        h.set("X-Content-Type-Options", "nosniff");
        h.set("X-Frame-Options", "DENY");
        h.set("Content-Security-Policy", "frame-ancestors 'none'");
        h.set("Referrer-Policy", "no-referrer");
    }

    public void header(String name, String value) {
        ex.getResponseHeaders().set(name, value);
    }

    /** Starts a server-sent event stream (chunked); the caller then writes events and closes it. */
    public EventStream events() throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        protect();
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        status = 200;
        ex.sendResponseHeaders(200, 0);
        return new EventStream(ex.getResponseBody());
    }

    /** A server-sent event stream; {@link #send} returns false once the client has gone. */
    public final class EventStream implements AutoCloseable {
        private final OutputStream out;
        private boolean open = true;

        EventStream(OutputStream out) {
            this.out = out;
        }

        public synchronized boolean send(String event, ObjectNode data) {
            if (!open) return false;
            try {
                byte[] b = ("event: " + event + "\ndata: " + Body.JSON.writeValueAsString(data) + "\n\n").getBytes(StandardCharsets.UTF_8);
                out.write(b);
                out.flush();
                bytesOut += b.length;
                return true;
            } catch (IOException e) {
                open = false;
                return false;
            }
        }

        @Override
        public synchronized void close() {
            open = false;
            try {
                out.close();
            } catch (IOException ignored) {
                // the client went away; nothing left to tell it
            }
        }
    }
}
