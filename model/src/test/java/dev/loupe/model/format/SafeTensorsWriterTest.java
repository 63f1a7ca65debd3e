package dev.loupe.model.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing safetensors files and reading them back. */
class SafeTensorsWriterTest {
    @TempDir
    Path dir;

    private static final float[] SAMPLES = {0f, -0f, 1f, -2.5f, 3.1415927f, 1e-3f, 65504f, 1e-8f, 1e30f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};

    @Test
    void roundTripsEveryDtypeWithMetadata() throws Exception {
        Path file = dir.resolve("all.safetensors");
        Tensor f = Tensor.of(SAMPLES.clone(), 3, 4);
        long[] ints = {0, 1, -1, 50256, Integer.MAX_VALUE, Integer.MIN_VALUE};
        long size = new SafeTensorsWriter()
                .metadata("format", "pt")
                .metadata("note", "héllo ✓")
                .add("f32", f)
                .add("f64", DType.F64, f)
                .add("f16", DType.F16, f)
                .add("bf16", DType.BF16, f)
                .addLongs("i64", DType.I64, new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, 2, 2)
                .addLongs("i32", DType.I32, ints, 6)
                .addLongs("i16", DType.I16, new long[] {-32768, 32767}, 2)
                .addLongs("i8", DType.I8, new long[] {-128, 127}, 2)
                .addLongs("u8", DType.U8, new long[] {0, 255}, 2)
                .addLongs("bool", DType.BOOL, new long[] {1, 0, 1}, 3)
                .add("scalar", Tensor.scalar(7f))
                .add("empty", Tensor.zeros(0, 4))
                .write(file);
        assertEquals(Files.size(file), size);
        try (WeightStore w = SafeTensors.open(file)) {
            assertEquals(Map.of("format", "pt", "note", "héllo ✓"), w.metadata());
            assertArrayEquals(SAMPLES, w.tensor("f32").data());
            assertArrayEquals(SAMPLES, w.tensor("f64").data());
            assertArrayEquals(new int[] {3, 4}, w.tensor("f16").shape());
            for (int i = 0; i < SAMPLES.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(SAMPLES[i])), w.tensor("f16").data()[i]);
                assertEquals(bf16Reference(SAMPLES[i]), w.tensor("bf16").data()[i], "bf16 of " + SAMPLES[i]);
            }
            assertArrayEquals(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, w.longs("i64"));
            assertArrayEquals(ints, w.longs("i32"));
            assertArrayEquals(new long[] {-32768, 32767}, w.longs("i16"));
            assertArrayEquals(new long[] {-128, 127}, w.longs("i8"));
            assertArrayEquals(new long[] {0, 255}, w.longs("u8"));
            assertArrayEquals(new long[] {1, 0, 1}, w.longs("bool"));
            assertArrayEquals(new float[] {50256f}, new float[] {w.tensor("i32").data()[3]});
            assertEquals(DType.BF16, w.info("bf16").dtype());
            assertArrayEquals(new int[0], w.tensor("scalar").shape());
            assertEquals(7f, w.tensor("scalar").data()[0]);
            assertEquals(0, w.tensor("empty").numel());
        }
    }

    /** bfloat16 rounding computed independently, with BigDecimal-free arithmetic on doubles. */
    private static float bf16Reference(float v) {
        if (Float.isNaN(v) || Float.isInfinite(v) || v == 0) return v;
        int bits = Float.floatToRawIntBits(v);
        float down = Float.intBitsToFloat(bits & 0xFFFF0000);
        float up = Float.intBitsToFloat((bits & 0xFFFF0000) + 0x10000);
        double dDown = Math.abs((double) v - down), dUp = Math.abs((double) up - v);
        if (dDown < dUp) return down;
        if (dUp < dDown) return up;
        return ((bits >>> 16) & 1) == 0 ? down : up;
    }

    @Test
    void narrowingRoundsToNearestEven() throws Exception {
        // 1 + 2^-8 is exactly halfway between bf16 neighbours 1 and 1 + 2^-7: ties go to the even one (1).
        // 1 + 3*2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): goes up.
        // f16: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 (odd): goes to 1; 1 + 3*2^-11 goes up to 1 + 2^-9.
        float[] v = {1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 1f + 0x1p-8f + 0x1p-20f, 1f + 0x1p-11f, 1f + 3 * 0x1p-11f};
        Path file = dir.resolve("rne.safetensors");
        new SafeTensorsWriter().add("b", DType.BF16, Tensor.of(v.clone(), 5)).add("h", DType.F16, Tensor.of(v.clone(), 5)).write(file);
        try (WeightStore w = SafeTensors.open(file)) {
            assertArrayEquals(new float[] {1f, 1f + 0x1p-6f, 1f + 0x1p-7f}, java.util.Arrays.copyOf(w.tensor("b").data(), 3));
            assertArrayEquals(new float[] {1f, 1f + 0x1p-9f}, java.util.Arrays.copyOfRange(w.tensor("h").data(), 3, 5));
        }
    }

    @Test
    void outputIsDeterministicAlignedAndPaddedWithSpaces() throws Exception {
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors");
        new SafeTensorsWriter().add("z", DType.F16, Tensor.of(new float[] {1, 2, 3}, 3)).add("a", Tensor.of(new float[] {4}, 1))
                .addLongs("ids", DType.I64, new long[] {5}, 1).metadata("k", "v").write(a);
        new SafeTensorsWriter().metadata("k", "v").addLongs("ids", DType.I64, new long[] {5}, 1)
                .add("a", Tensor.of(new float[] {4}, 1)).add("z", DType.F16, Tensor.of(new float[] {1, 2, 3}, 3)).write(b);
        byte[] bytes = Files.readAllBytes(a);
        assertArrayEquals(bytes, Files.readAllBytes(b));
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"k\":\"v\"},\"ids\":"), header);
        assertTrue(header.indexOf("\"ids\"") < header.indexOf("\"a\"") && header.indexOf("\"a\"") < header.indexOf("\"z\""), header);
        assertEquals(header.stripTrailing() + " ".repeat(header.length() - header.stripTrailing().length()), header);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("a.safetensors", "b.safetensors"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary files left behind");
        }
    }

    @Test
    void streamsLazySourcesLargerThanTheWriteBuffer() throws Exception {
        Path file = dir.resolve("big.safetensors");
        int n = 700_001; // several 1 MiB write buffers, odd length
        float[] data = new float[n];
        Random r = new Random(1);
        for (int i = 0; i < n; i++) data[i] = (float) r.nextGaussian();
        int[] calls = {0};
        new SafeTensorsWriter().add("w", DType.F32, new int[] {n}, () -> {
            calls[0]++;
            return Tensor.of(data, n);
        }).add("h", DType.BF16, Tensor.of(data, n)).write(file);
        assertEquals(1, calls[0]);
        try (WeightStore w = SafeTensors.open(file)) {
            assertArrayEquals(data, w.tensor("w").data());
            float[] h = w.tensor("h").data();
            for (int i = 0; i < n; i += 9973) assertEquals(bf16Reference(data[i]), h[i]);
            assertEquals(bf16Reference(data[n - 1]), h[n - 1]);
        }
    }

    @Test
    void failedWriteLeavesTheTargetUntouched() throws Exception {
        Path file = dir.resolve("keep.safetensors");
        Files.writeString(file, "old");
        SafeTensorsWriter w = new SafeTensorsWriter().add("x", DType.F32, new int[] {2}, () -> Tensor.of(new float[3], 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.write(file));
        assertTrue(e.getMessage().contains("keep.safetensors: tensor 'x' was declared [2] but its source gave Tensor[3]"), e.getMessage());
        assertEquals("old", Files.readString(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void refusesValuesAndNamesThatCannotBeStored() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SafeTensorsWriter()
                .addLongs("ids", DType.I32, new long[] {3_000_000_000L}, 1).write(dir.resolve("x.safetensors")));
        assertTrue(e.getMessage().contains("tensor 'ids': value 3000000000 does not fit I32"), e.getMessage());
        SafeTensorsWriter w = new SafeTensorsWriter().add("a", Tensor.scalar(1));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> w.add("a", Tensor.scalar(2))).getMessage().contains("added twice"));
        assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", Tensor.scalar(2)));
        assertThrows(IllegalArgumentException.class, () -> w.add("f", DType.I64, Tensor.scalar(2)));
        assertThrows(IllegalArgumentException.class, () -> w.addLongs("l", DType.I64, new long[] {1, 2}, 3));
    }
}
