package dev.loupe.model.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A cursor over one Protocol Buffers message in a memory-mapped file: just the wire format
 * (https://protobuf.dev/programming-guides/encoding/), no schema. The ONNX reader walks its
 * messages field by field with it, so tensor payloads are never copied: their byte offsets are
 * kept and the payload is read later straight from the mapping.
 */
final class Protobuf {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String label;
    private final MemorySegment file;
    private final long end;
    private long pos;
    private int wireType;

    /** A cursor over bytes [start, end) of {@code file}; {@code label} names the file in errors. */
    Protobuf(String label, MemorySegment file, long start, long end) {
        this.label = label;
        this.file = file;
        this.pos = start;
        this.end = end;
    }

    boolean hasNext() {
        return pos < end;
    }

    /** Reads the next field's key and returns its field number; {@link #wireType()} tells how to read its value. */
    int next() throws FormatException {
        long key = varint();
        wireType = (int) (key & 7);
        return (int) (key >>> 3);
    }

    int wireType() {
        return wireType;
    }

    long varint() throws FormatException {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = file.get(ValueLayout.JAVA_BYTE, checked(1));
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) return result;
        }
        throw malformed("varint longer than 10 bytes");
    }

    float fixed32Float() throws FormatException {
        return file.get(F32, checked(4));
    }

    /** The current length-delimited field as a cursor of its own (this one moves past it). */
    Protobuf message() throws FormatException {
        long len = varint();
        if (len < 0 || len > end - pos) throw malformed("field of " + len + " bytes runs past its message");
        long start = checked(len);
        return new Protobuf(label, file, start, start + len);
    }

    String string() throws FormatException {
        Protobuf m = message();
        return new String(file.asSlice(m.pos, m.end - m.pos).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /** Absolute file offset of this cursor's first unread byte. */
    long position() {
        return pos;
    }

    /** Bytes left in this cursor's message. */
    long remaining() {
        return end - pos;
    }

    /** Skips the current field's value. */
    void skip() throws FormatException {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> checked(8);
            case LEN -> message();
            case FIXED32 -> checked(4);
            default -> throw malformed("unsupported wire type " + wireType);
        }
    }

    FormatException malformed(String what) {
        return new FormatException(label + ": malformed protobuf at byte " + pos + ": " + what + " (truncated, or not an ONNX file?)");
    }

    /** Advances past {@code n} bytes and returns where they start. */
    private long checked(long n) throws FormatException {
        if (n > end - pos) throw malformed("message ends early");
        long at = pos;
        pos += n;
        return at;
    }
}
