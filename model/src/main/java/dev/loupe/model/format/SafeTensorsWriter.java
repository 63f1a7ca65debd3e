package dev.loupe.model.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Writes one safetensors file. Collect tensors with the {@code add} methods (they keep
 * references, not copies; the supplier form defers even producing a tensor until its bytes are
 * written, so a large checkpoint can be converted holding one tensor at a time), then
 * {@link #write(Path)}. Floats may be stored as F32, F64, F16 or BF16 (narrowing rounds to nearest
 * even); integers as I64, I32, I16, I8, U8 or BOOL (values must fit).
 *
 * <p>The output is deterministic: metadata keys sorted, tensors ordered by element size
 * (largest first, so every tensor stays aligned to its element size) then by name, header
 * padded with spaces to 8-byte alignment. The file is written atomically ({@link AtomicFile}).
 */
public final class SafeTensorsWriter {
    private static final ObjectMapper JSON = Json.MAPPER;
    private static final int BUFFER_BYTES = 1 << 20;

    private record Pending(TensorInfo info, Supplier<Tensor> floats, Supplier<long[]> longs, RowSource rows) {}

    /** Produces a matrix's rows one at a time, for {@link #addRows}. */
    @FunctionalInterface
    public interface RowSource {
        /** Writes row {@code row} into {@code out} (the row's length; its previous contents are any). */
        void row(int row, float[] out);
    }

    private final Map<String, Pending> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new TreeMap<>();

    /** Adds a string entry to {@code __metadata__}. */
    public SafeTensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Adds a float tensor stored as F32. */
    public SafeTensorsWriter add(String name, Tensor tensor) {
        return add(name, DType.F32, tensor);
    }

    /** Adds a float tensor stored as {@code dtype} (F32, F64, F16 or BF16). */
    public SafeTensorsWriter add(String name, DType dtype, Tensor tensor) {
        return add(name, dtype, tensor.shape(), () -> tensor);
    }

    /**
     * Adds a float tensor of the given shape whose values {@code source} produces only when the
     * file is written (once); it must return a tensor of exactly that shape.
     */
    public SafeTensorsWriter add(String name, DType dtype, int[] shape, Supplier<Tensor> source) {
        if (!dtype.isFloating()) throw new IllegalArgumentException(name + ": " + dtype + " is not a floating type; use addLongs");
        return put(new Pending(new TensorInfo(name, dtype, shape), source, null, null));
    }

    /**
     * Adds a float matrix [rows, cols] produced row by row while the file is written, so that it is never held whole
     * (a matrix larger than memory, or than one array, can be written).
     */
    public SafeTensorsWriter addRows(String name, DType dtype, int rows, int cols, RowSource source) {
        if (!dtype.isFloating()) throw new IllegalArgumentException(name + ": " + dtype + " is not a floating type; use addLongs");
        return put(new Pending(new TensorInfo(name, dtype, new int[] {rows, cols}), null, null, source));
    }

    /** Adds integer values stored as {@code dtype} (I64, I32, I16, I8, U8 or BOOL) with the given shape. */
    public SafeTensorsWriter addLongs(String name, DType dtype, long[] values, int... shape) {
        if (dtype.isFloating()) throw new IllegalArgumentException(name + ": " + dtype + " is a floating type; use add");
        TensorInfo info = new TensorInfo(name, dtype, shape);
        if (info.numel() != values.length) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " holds " + info.numel()
                    + " elements but " + values.length + " values were given");
        }
        return put(new Pending(info, null, () -> values, null));
    }

    private SafeTensorsWriter put(Pending p) {
        String name = p.info().name();
        if (name.equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is reserved and cannot name a tensor");
        if (tensors.putIfAbsent(name, p) != null) throw new IllegalArgumentException("tensor '" + name + "' added twice");
        return this;
    }

    /** Writes the file atomically; returns its size in bytes. */
    public long write(Path file) throws IOException {
        long[] size = new long[1];
        AtomicFile.write(file, ch -> size[0] = write(ch, file.getFileName().toString()));
        return size[0];
    }

    /**
     * Writes the safetensors bytes to {@code out} (a network response, a buffer); returns their count.
     * {@code label} names the destination in errors.
     */
    public long write(WritableByteChannel out, String label) throws IOException {
        List<Pending> order = ordered();
        byte[] header = header(order);
        long size = 8L + header.length;
        ByteBuffer buf = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length);
        flush(out, buf);
        writeFully(out, ByteBuffer.wrap(header));
        for (Pending p : order) size += body(out, buf, p, label);
        return size;
    }

    /** Bytes {@link #write(WritableByteChannel, String)} writes, known before anything is written (a response's Content-Length). */
    public long size() {
        List<Pending> order = ordered();
        long size = 8L + header(order).length;
        for (Pending p : order) size += p.info().nbytes();
        return size;
    }

    private List<Pending> ordered() {
        List<Pending> order = new ArrayList<>(tensors.values());
        order.sort(Comparator.comparingInt((Pending p) -> -p.info().dtype().itemSize()).thenComparing(p -> p.info().name()));
        return order;
    }

    private byte[] header(List<Pending> order) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode md = root.putObject("__metadata__");
            metadata.forEach(md::put);
        }
        long offset = 0;
        for (Pending p : order) {
            ObjectNode t = root.putObject(p.info().name());
            t.put("dtype", p.info().dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (int s : p.info().shape()) shape.add(s);
            long end = offset + p.info().nbytes();
            t.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        byte[] padded = Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
    }

    private static long body(WritableByteChannel ch, ByteBuffer buf, Pending p, String label) throws IOException {
        TensorInfo info = p.info();
        String what = label + ": tensor '" + info.name() + "'";
        int elem = info.dtype().itemSize();
        if (p.floats() != null) {
            Tensor t = p.floats().get();
            if (!Arrays.equals(t.shape(), info.shape())) {
                throw new IllegalArgumentException(what + " was declared " + Arrays.toString(info.shape()) + " but its source gave " + t);
            }
            floats(ch, buf, t.data(), info.dtype());
        } else if (p.rows() != null) {
            float[] row = new float[info.shape()[1]];
            for (int r = 0; r < info.shape()[0]; r++) {
                p.rows().row(r, row);
                floats(ch, buf, row, info.dtype());
            }
        } else {
            long[] v = p.longs().get();
            for (long x : v) {
                if (buf.remaining() < elem) flush(ch, buf);
                Encode.putLong(buf, info.dtype(), x, what);
            }
            flush(ch, buf);
        }
        return info.nbytes();
    }

    private static void floats(WritableByteChannel ch, ByteBuffer buf, float[] d, DType dtype) throws IOException {
        int elem = dtype.itemSize();
        for (int i = 0; i < d.length; ) {
            int n = Math.min(d.length - i, buf.remaining() / elem);
            if (dtype == DType.F32) {
                buf.asFloatBuffer().put(d, i, n);
                buf.position(buf.position() + 4 * n);
            } else {
                for (int j = i; j < i + n; j++) Encode.putFloat(buf, dtype, d[j]);
            }
            i += n;
            flush(ch, buf);
        }
    }

    private static void flush(WritableByteChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        writeFully(ch, buf);
        buf.clear();
    }

    private static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
