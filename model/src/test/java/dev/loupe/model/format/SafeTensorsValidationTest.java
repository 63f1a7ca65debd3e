package dev.loupe.model.format;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed safetensors files are refused at open time with a message naming the file and tensor. */
class SafeTensorsValidationTest {
    @TempDir
    Path dir;

    /** A file with {@code header} as its JSON and {@code dataBytes} zero bytes of data. */
    private Path file(String header, int dataBytes) throws Exception {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Path p = dir.resolve("bad.safetensors");
        Files.write(p, b.array());
        return p;
    }

    private static void assertRefused(Path file, String expected) {
        FormatException e = assertThrows(FormatException.class, () -> SafeTensors.open(file).close());
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "message was: " + e.getMessage());
    }

    @Test
    void fileTooShortForTheHeaderLength() throws Exception {
        Path p = dir.resolve("tiny.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        assertRefused(p, "file is 3 bytes, too short for the 8-byte header length");
    }

    @Test
    void headerLengthLargerThanTheFile() throws Exception {
        Path p = file("{}", 0);
        byte[] bytes = Files.readAllBytes(p);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1_000_000);
        Files.write(p, bytes);
        assertRefused(p, "header length 1000000 does not fit in the file of 10 bytes");
    }

    @Test
    void truncatedData() throws Exception {
        Path good = dir.resolve("good.safetensors");
        new SafeTensorsWriter().add("w", dev.loupe.core.Tensor.zeros(4, 4)).write(good);
        byte[] bytes = Files.readAllBytes(good);
        Path p = dir.resolve("cut.safetensors");
        Files.write(p, Arrays.copyOf(bytes, bytes.length - 10));
        assertRefused(p, "tensor 'w' data_offsets [0, 64] reach beyond the data region of 54 bytes (file truncated?)");
    }

    @Test
    void offsetsDisagreeWithDtypeAndShape() throws Exception {
        assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,12]}}", 12),
                "tensor 'w': data_offsets [0, 12] span 12 bytes but F32 [2, 3] needs 24");
    }

    @Test
    void offsetsOutsideTheDataRegion() throws Exception {
        assertRefused(file("{\"w\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[8,16]}}", 8),
                "tensor 'w' data_offsets [8, 16] reach beyond the data region of 8 bytes");
    }

    @Test
    void overlappingGappedOrUncoveredRegions() throws Exception {
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "tensors 'a' and 'b' overlap");
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12), "bytes [4, 8) of the data region belong to no tensor (before 'b')");
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 16),
                "data region is 16 bytes but the tensors cover only 4");
    }

    @Test
    void unknownDtype() throws Exception {
        assertRefused(file("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4),
                "tensor 'w': unknown dtype 'F8_E4M3' (supported: [BOOL, U8, I8, I16, I32, I64, F16, BF16, F32, F64])");
    }

    @Test
    void duplicateNames() throws Exception {
        assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "duplicate tensor name 'w' in header");
    }

    @Test
    void malformedEntries() throws Exception {
        assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0), "tensor 'w': 'data_offsets' must be [begin, end]");
        assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0), "tensor 'w': shape [-1] must hold non-negative int32 dimensions");
        assertRefused(file("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'w': missing string field 'dtype'");
        assertRefused(file("{\"__metadata__\":{\"n\":3}}", 0), "__metadata__ value of 'n' is 3, not a string");
        assertRefused(file("{\"w\": [1, 2", 0), "header is not valid JSON");
        assertRefused(file("[1, 2]", 0), "header is not a JSON object");
    }
}
