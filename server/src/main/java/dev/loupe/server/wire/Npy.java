package dev.loupe.server.wire;

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

    public static byte[] encode(NamedTensor t) {
        StringBuilder shape = new StringBuilder("(");
        for (int i = 0; i < t.shape().length; i++) shape.append(i > 0 ? ", " : "").append(t.shape()[i]);
        shape.append(t.shape().length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + (t.isFloat() ? "<f4" : "<i8") + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = MAGIC.length + 2 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 2 + header.length() + (int) t.nbytes()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        if (t.isFloat()) b.asFloatBuffer().put(t.floats());
        else b.asLongBuffer().put(t.longs());
        return b.array();
    }
}
