package dev.loupe.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's memory high-water marks so far, in MiB. */
record PeakMemory(double heapMiB, double rssMiB) {
    private static final double MIB = 1 << 20;

    /**
     * Peak heap is the sum of each heap pool's peak usage (pools peak at different moments, so this is an
     * upper bound on the heap ever in use at once); peak RSS is {@code VmHWM} from
     * {@code /proc/self/status}, or -1 where that file does not exist.
     */
    static PeakMemory now() {
        long heap = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) heap += p.getPeakUsage().getUsed();
        }
        return new PeakMemory(heap / MIB, vmHwmKiB() / 1024.0);
    }

    private static long vmHwmKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: reported as unknown
        }
        return -1024;
    }
}
