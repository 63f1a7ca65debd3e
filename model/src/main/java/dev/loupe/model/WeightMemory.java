package dev.loupe.model;

import dev.loupe.model.format.DType;
import dev.loupe.model.format.TensorInfo;
import dev.loupe.model.format.WeightStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a checkpoint's weights occupy once loaded, known from its header alone, and what this process can
 * hold: checked before anything large is allocated, so a model that cannot fit is refused with the figures
 * instead of being killed by the kernel.
 *
 * @param checkpointBytes the stored tensors' bytes
 * @param residentBytes the loaded weights' bytes: matrices in their kept precision, everything else float32
 * @param heapFree heap the JVM may still allocate (max heap − used)
 * @param memoryAvailable the machine's available memory (MemAvailable) plus the heap's committed free space; -1 when unknown
 */
public record WeightMemory(long checkpointBytes, long residentBytes, long heapFree, long memoryAvailable) {
    private static final double GIB = 1024.0 * 1024 * 1024;

    /** The figures for {@code store} loaded with {@code dtype}, against this JVM and machine now. */
    public static WeightMemory of(WeightStore store, WeightDtype dtype) {
        long stored = 0, resident = 0;
        for (String name : store.names()) {
            TensorInfo info = store.info(name);
            if (!info.dtype().isFloating()) continue;
            stored += info.nbytes();
            boolean half = info.dtype() == DType.BF16 || info.dtype() == DType.F16;
            boolean kept16 = half && dtype == WeightDtype.STORED && info.shape().length == 2;
            resident += info.numel() * (kept16 ? 2 : 4);
        }
        Runtime rt = Runtime.getRuntime();
        long used = rt.totalMemory() - rt.freeMemory();
        long available = memAvailable();
        return new WeightMemory(stored, resident, rt.maxMemory() - used,
                available < 0 ? -1 : available + rt.totalMemory() - used);
    }

    /** Whether the weights fit both the heap and the machine's available memory. */
    public boolean fits() {
        return residentBytes <= heapFree && (memoryAvailable < 0 || residentBytes <= memoryAvailable);
    }

    /** Throws {@link IllegalStateException} with the figures when the weights cannot fit. */
    public void requireFits(String model) {
        if (fits()) return;
        String limit = residentBytes > heapFree
                ? String.format("the JVM heap can take %.2f GiB more (raise -Xmx through LOUPE_JAVA_OPTS)", heapFree / GIB)
                : String.format("only %.2f GiB of memory is available on this machine", memoryAvailable / GIB);
        throw new IllegalStateException(String.format("%s needs %.2f GiB for its weights but %s; not loading it", model,
                residentBytes / GIB, limit));
    }

    /** One line: the weights' need, the checkpoint's size and the room there is. */
    public String describe(String model) {
        return String.format("%s: weights %.2f GiB in memory (checkpoint %.2f GiB); heap room %.2f GiB%s", model,
                residentBytes / GIB, checkpointBytes / GIB, heapFree / GIB,
                memoryAvailable < 0 ? "" : String.format(", memory available %.2f GiB", memoryAvailable / GIB));
    }

    private static long memAvailable() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
