package dev.loupe.model.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ONNX reader on small hand-encoded files: Linear weights named by following the graph, and clear errors. */
class OnnxCheckpointTest {
    @TempDir
    Path dir;

    @Test
    void matMulWeightIsNamedAfterTheBiasItsProductMeetsAndTransposed() throws IOException {
        byte[] graph = concat(
                len(5, tensor("onnx::MatMul_1", floats(1, 2, 3, 4, 5, 6), 2, 3)), // [in 2, out 3]
                len(5, tensor("fc.bias", floats(0, 0, 0), 3)),
                len(5, tensor("onnx::MatMul_2", floats(1, 2), 2, 1)),
                len(1, node("MatMul", "/fc/MatMul", "x", "onnx::MatMul_1", "y")),
                len(1, node("Add", "/fc/Add", "fc.bias", "y", "z")),
                len(1, node("MatMul", "/head/proj/MatMul", "x", "onnx::MatMul_2", "w")));
        Path file = write(len(7, graph));
        try (MappedWeightStore.Mapping m = MappedWeightStore.map(file)) {
            OnnxGraph g = OnnxGraph.parse(file.toString(), m.segment());
            WeightStore w = OnnxWeightStore.of(g, m.toStore("t", g.initializers(), Map.of()));
            assertEquals(Set.of("fc.weight", "fc.bias", "head.proj.weight"), w.names());
            assertArrayEquals(new int[] {3, 2}, w.info("fc.weight").shape());
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, w.tensor("fc.weight").data());
            assertArrayEquals(new int[] {1, 2}, w.tensor("head.proj.weight").shape());
        }
    }

    @Test
    void truncatedFileIsMalformed() throws IOException {
        byte[] whole = len(7, len(5, tensor("w", floats(1, 2), 2)));
        Path file = write(Arrays.copyOf(whole, whole.length - 3));
        var e = assertThrows(FormatException.class, () -> Checkpoints.open(file));
        assertTrue(e.getMessage().contains("malformed protobuf"), e.getMessage());
    }

    @Test
    void aGraphWithoutBertEmbeddingsIsRefusedNamingWhatItHas() throws IOException {
        Path file = write(len(7, len(5, tensor("decoder.w", floats(1, 2), 2))));
        var e = assertThrows(FormatException.class, () -> Checkpoints.open(file));
        assertTrue(e.getMessage().contains("no initializer 'embeddings.word_embeddings.weight'"), e.getMessage());
        assertTrue(e.getMessage().contains("decoder.w"), e.getMessage());
    }

    @Test
    void externalDataIsRefused() throws IOException {
        byte[] external = concat(varint(1, 2), varint(2, 1), len(8, "big".getBytes(StandardCharsets.UTF_8)), varint(14, 1));
        var e = assertThrows(FormatException.class, () -> Checkpoints.open(write(len(7, len(5, external)))));
        assertTrue(e.getMessage().contains("external file"), e.getMessage());
    }

    @Test
    void fileWithoutGraphIsNotAModel() throws IOException {
        var e = assertThrows(FormatException.class, () -> Checkpoints.open(write(len(2, "pytorch".getBytes(StandardCharsets.UTF_8)))));
        assertTrue(e.getMessage().contains("no graph"), e.getMessage());
    }

    private Path write(byte[] bytes) throws IOException {
        return Files.write(dir.resolve("m.onnx"), bytes);
    }

    /** TensorProto: dims (1), data_type float (2), name (8), raw_data (9). */
    private static byte[] tensor(String name, byte[] raw, int... dims) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int d : dims) out.writeBytes(varint(1, d));
        out.writeBytes(varint(2, 1));
        out.writeBytes(len(8, name.getBytes(StandardCharsets.UTF_8)));
        out.writeBytes(len(9, raw));
        return out.toByteArray();
    }

    /** NodeProto with two inputs (1), one output (2), name (3), op_type (4). */
    private static byte[] node(String op, String name, String in0, String in1, String out) {
        return concat(len(1, utf8(in0)), len(1, utf8(in1)), len(2, utf8(out)), len(3, utf8(name)), len(4, utf8(op)));
    }

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] len(int field, byte[] payload) {
        return concat(rawVarint((long) field << 3 | 2), rawVarint(payload.length), payload);
    }

    private static byte[] varint(int field, long value) {
        return concat(rawVarint((long) field << 3), rawVarint(value));
    }

    private static byte[] rawVarint(long v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((v & ~0x7fL) != 0) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }
}
