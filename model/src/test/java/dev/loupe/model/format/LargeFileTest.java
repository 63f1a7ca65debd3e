package dev.loupe.model.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files beyond 2 GiB: offsets are longs end to end. The file is sparse, so this costs no disk or time. */
class LargeFileTest {
    @TempDir
    Path dir;

    @Test
    void readsATensorStoredPastTwoGibibytes() throws Exception {
        long pad = (1L << 31) + 8;
        String header = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[2," + pad / 2 + "],\"data_offsets\":[0," + pad + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + pad + "," + (pad + 16) + "]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
            raf.write(json);
            raf.seek(8 + json.length + pad);
            ByteBuffer tail = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : new float[] {1.5f, -2f, 3f, 4.25f}) tail.putFloat(f);
            raf.write(tail.array());
        }
        try (WeightStore w = SafeTensors.open(file)) {
            assertArrayEquals(new float[] {1.5f, -2f, 3f, 4.25f}, w.tensor("tail").data());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.longs("pad"));
            assertTrue(e.getMessage().contains("tensor pad U8[2, 1073741828] has 2147483656 elements, more than one Java array holds"), e.getMessage());
        }
    }
}
