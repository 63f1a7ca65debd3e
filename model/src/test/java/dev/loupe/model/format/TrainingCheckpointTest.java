package dev.loupe.model.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingCheckpointTest {
    @TempDir
    Path dir;

    private Path written() throws Exception {
        Path file = dir.resolve("c.safetensors");
        new TrainingCheckpoint.Writer("test-checkpoint/1").floats("w", new float[] {1, -2, 3.5f, Float.MIN_VALUE}, 2, 2)
                .longs("seen", DType.I64, new long[] {7, Long.MAX_VALUE}).longs("bytes", DType.U8, new long[] {0, 255})
                .metadata("step", "12").write(file);
        return file;
    }

    @Test
    void roundTripsValuesAndMetadata() throws Exception {
        try (TrainingCheckpoint c = TrainingCheckpoint.open(written(), "test-checkpoint/1")) {
            float[] w = new float[4];
            c.read("w", w);
            assertArrayEquals(new float[] {1, -2, 3.5f, Float.MIN_VALUE}, w);
            assertArrayEquals(new long[] {7, Long.MAX_VALUE}, c.longs("seen"));
            assertArrayEquals(new long[] {0, 255}, c.longs("bytes"));
            assertEquals(12, c.number("step"));
            var e = assertThrows(IllegalArgumentException.class, () -> c.read("w", new float[3]));
            assertTrue(e.getMessage().contains("w has 4 values, expected 3"), e.getMessage());
        }
    }

    @Test
    void aFlippedBitIsRefusedNamingTheFileAndTheChecksum() throws Exception {
        Path file = written();
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 20] ^= 0x10; // inside the tensor data
        Files.write(file, bytes);
        var e = assertThrows(IllegalArgumentException.class, () -> TrainingCheckpoint.open(file, "test-checkpoint/1"));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("checksum mismatch")
                && e.getMessage().contains("delete it to start over"), e.getMessage());
    }

    @Test
    void filesWithoutTheTagOrWithAnotherAreRefusedClearly() throws Exception {
        Path untagged = dir.resolve("old.safetensors");
        new SafeTensorsWriter().add("param.w", Tensor.of(new float[] {1}, 1)).metadata("step", "3").write(untagged);
        var e = assertThrows(IllegalArgumentException.class, () -> TrainingCheckpoint.open(untagged, "test-checkpoint/1"));
        assertTrue(e.getMessage().contains(untagged.toString()) && e.getMessage().contains("no format tag"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainingCheckpoint.open(written(), "test-checkpoint/2"));
        assertTrue(e.getMessage().contains("its format is 'test-checkpoint/1', this Loupe reads 'test-checkpoint/2'"), e.getMessage());
        Path junk = dir.resolve("junk");
        Files.write(junk, new byte[] {1, 2, 3});
        e = assertThrows(IllegalArgumentException.class, () -> TrainingCheckpoint.open(junk, "test-checkpoint/1"));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }
}
