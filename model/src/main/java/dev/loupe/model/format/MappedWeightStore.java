package dev.loupe.model.format;

import dev.loupe.model.NearestNames;

import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.PackedMatrix;
import dev.loupe.core.kernels.PackedMatrix.Precision;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A weight store over one memory-mapped file whose tensors sit at known byte offsets. Shared by
 * the safetensors reader and the llama2.c reader, which differ only in how they find the offsets.
 * The whole file is one {@link MemorySegment}, so files and tensors beyond 2 GiB are fine.
 */
final class MappedWeightStore implements WeightStore {
    /** Where one tensor lives: absolute byte offset into the file. */
    record Slot(TensorInfo info, long offset) {}

    private final String label;
    private final Arena arena;
    private final MemorySegment file;
    private final Map<String, Slot> slots;
    private final Map<String, String> metadata;

    private MappedWeightStore(String label, Arena arena, MemorySegment file, Map<String, Slot> slots, Map<String, String> metadata) {
        this.label = label;
        this.arena = arena;
        this.file = file;
        this.slots = Collections.unmodifiableMap(new LinkedHashMap<>(slots));
        this.metadata = Map.copyOf(metadata);
    }

    /** Maps {@code path} read-only; the returned mapping lives until {@link Mapping#close()} or handover to a store. */
    static Mapping map(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return new Mapping(arena, ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** A mapped file not yet owned by a store; close it if parsing fails. */
    record Mapping(Arena arena, MemorySegment segment) implements AutoCloseable {
        MappedWeightStore toStore(String label, Map<String, Slot> slots, Map<String, String> metadata) {
            return new MappedWeightStore(label, arena, segment, slots, metadata);
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    @Override
    public Set<String> names() {
        return slots.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        return slot(name).info();
    }

    /** Reads leave the file's pages to the page cache: the copy the model keeps is the only one counted as resident. */
    @Override
    public Tensor tensor(String name) {
        Slot s = slot(name);
        Tensor t = Tensor.of(Decode.floats(file, s.offset(), s.info().dtype(), count(s)), s.info().shape());
        release(s);
        return t;
    }

    /** BF16 and F16 matrices stay 16-bit, packed straight from the file; other floating types are packed as float32. */
    @Override
    public Tensor matrix(String name, boolean transposed) {
        Slot s = slot(name);
        int[] shape = WeightStore.requireMatrix(s.info());
        DType dtype = s.info().dtype();
        Precision precision = dtype == DType.BF16 ? Precision.BF16 : dtype == DType.F16 ? Precision.F16 : Precision.F32;
        PackedMatrix.Stored stored = new PackedMatrix.Stored() {
            @Override
            public void floats(long from, int count, float[] dst) {
                long at = s.offset() + from * dtype.itemSize();
                System.arraycopy(Decode.floats(file, at, dtype, count), 0, dst, 0, count);
                release(at, (long) count * dtype.itemSize());
                FiniteWeights.check(label, name, dst, count, from); // in the pass that packs, no extra read
            }

            @Override
            public void halves(long from, int count, short[] dst) {
                MemorySegment.copy(file, Decode.I16, s.offset() + 2 * from, dst, 0, count);
                release(s.offset() + 2 * from, 2L * count);
                FiniteWeights.checkHalves(label, name, dst, count, from, precision == Precision.BF16);
            }
        };
        int n = transposed ? shape[1] : shape[0], k = transposed ? shape[0] : shape[1];
        PackedMatrix p = PackedMatrix.read(n, k, transposed, precision, stored);
        release(s);
        return Tensor.packed(p);
    }

    /** Drops the tensor's file pages from this process's resident set (they stay in the page cache). */
    private void release(Slot s) {
        release(s.offset(), s.info().nbytes());
    }

    /**
     * Drops the file pages of bytes [offset, offset + bytes) from the resident set, e.g. each stretch of a
     * large matrix as soon as it is packed, so that a weight is never resident twice (mapped and packed).
     */
    private void release(long offset, long bytes) {
        if (bytes > 0 && file.isMapped()) file.asSlice(offset, bytes).unload();
    }

    @Override
    public long[] longs(String name) {
        Slot s = slot(name);
        if (s.info().dtype().isFloating()) {
            throw new IllegalArgumentException(label + ": tensor '" + name + "' is " + s.info().dtype()
                    + "; longs() reads integer tensors, use tensor() for floating ones");
        }
        return Decode.longs(file, s.offset(), s.info().dtype(), count(s));
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    @Override
    public String toString() {
        return "WeightStore[" + label + ", " + slots.size() + " tensors]";
    }

    private Slot slot(String name) {
        Slot s = slots.get(name);
        if (s == null) {
            throw new IllegalArgumentException(label + ": no tensor '" + name + "'; nearest names: "
                    + NearestNames.describe(name, slots.keySet(), 3));
        }
        return s;
    }

    private int count(Slot s) {
        long n = s.info().numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(label + ": tensor " + s.info() + " has " + n
                    + " elements, more than one Java array holds");
        }
        return (int) n;
    }
}
