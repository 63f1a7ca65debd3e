package dev.loupe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReadBandwidthTest {
    @Test
    void reportsTheMedianAndSpreadOfItsPasses() {
        ReadBandwidth bw = ReadBandwidth.measure((8L << 20) + 100, 5);
        assertEquals(8L << 20, bw.bufferBytes(), "rounded down to whole 4 KiB blocks");
        assertEquals(5, bw.passes());
        assertTrue(bw.minBytesPerSecond() > 0);
        assertTrue(bw.minBytesPerSecond() <= bw.medianBytesPerSecond() && bw.medianBytesPerSecond() <= bw.maxBytesPerSecond(), bw.describe());
        assertTrue(bw.describe().contains("5 passes of 8 MiB"), bw.describe());
    }

    @Test
    void refusesAnEmptyBufferOrNoPasses() {
        assertThrows(IllegalArgumentException.class, () -> ReadBandwidth.measure(100, 3));
        assertThrows(IllegalArgumentException.class, () -> ReadBandwidth.measure(1 << 20, 0));
    }
}
