package dev.loupe.server.wire;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An array's little-endian values written a chunk at a time through one small buffer, so that a response is never
 * built whole: a slow reader holds its arrays in their compact form (the floats it asked for) and 64 KiB, not a byte
 * copy of them the size of the response.
 */
final class Chunks {
    static final int BYTES = 64 << 10;

    private Chunks() {}

    static void write(NamedTensor t, OutputStream out) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(BYTES, Math.max(8, t.nbytes()))).order(ByteOrder.LITTLE_ENDIAN);
        if (t.isFloat()) {
            float[] d = t.floats();
            for (int i = 0; i < d.length; ) {
                int n = Math.min(d.length - i, b.capacity() / 4);
                b.clear();
                b.asFloatBuffer().put(d, i, n);
                out.write(b.array(), 0, 4 * n);
                i += n;
            }
        } else {
            long[] d = t.longs();
            for (int i = 0; i < d.length; ) {
                int n = Math.min(d.length - i, b.capacity() / 8);
                b.clear();
                b.asLongBuffer().put(d, i, n);
                out.write(b.array(), 0, 8 * n);
                i += n;
            }
        }
    }
}
