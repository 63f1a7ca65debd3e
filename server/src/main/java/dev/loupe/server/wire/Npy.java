package dev.loupe.server.wire;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * NumPy's {@code .npy} format, version 1.0: magic, a Python-literal header dict padded with spaces to a
 * multiple of 64 bytes and ended by a newline, then the little-endian values in C order. {@code numpy.load}
 * reads it directly, with no extra package.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};

    private Npy() {}

    /** {@code t} as {@code .npy} in one array of exactly its length (small responses; large ones are {@link #write}n). */
    public static byte[] encode(NamedTensor t) {
        byte[] header = header(t);
        ByteBuffer b = ByteBuffer.allocate(header.length + (int) t.nbytes()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(header);
        if (t.isFloat()) b.asFloatBuffer().put(t.floats());
        else b.asLongBuffer().put(t.longs());
        return b.array();
    }

    /** Bytes of {@code t} as {@code .npy}. */
    public static long length(NamedTensor t) {
        return header(t).length + t.nbytes();
    }

    /** Writes {@code t} as {@code .npy} to {@code out}, the values through a buffer of at most {@link Chunks#BYTES}. */
    public static void write(NamedTensor t, OutputStream out) throws IOException {
        out.write(header(t));
        Chunks.write(t, out);
    }

    /** Magic, header length and the padded header dict. */
    private static byte[] header(NamedTensor t) {
        StringBuilder shape = new StringBuilder("(");
        for (int i = 0; i < t.shape().length; i++) shape.append(i > 0 ? ", " : "").append(t.shape()[i]);
        shape.append(t.shape().length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + (t.isFloat() ? "<f4" : "<i8") + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = MAGIC.length + 2 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 2 + header.length()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }
}
