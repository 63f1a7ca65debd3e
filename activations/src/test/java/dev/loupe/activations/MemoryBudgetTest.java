package dev.loupe.activations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A shuffle of a store five times its --memory keeps the process's peak RSS within the budget (slow: ~15 s). */
@Tag("slow")
class MemoryBudgetTest {
    @TempDir Path tmp;

    private static long peakKb(Path tmp, Path in, String name, long memory) throws Exception {
        Path log = tmp.resolve(name + ".log");
        Process p = ChildJvm.start("96m", log, "shuffle", in.toString(), tmp.resolve(name).toString(), Long.toString(memory), "1");
        assertEquals(0, p.waitFor(), () -> {
            try {
                return Files.readString(log);
            } catch (Exception e) {
                return e.toString();
            }
        });
        String line = Files.readAllLines(log).stream().filter(l -> l.startsWith("VmHWM")).findFirst().orElseThrow();
        return Long.parseLong(line.replaceAll("\\D", ""));
    }

    @Test
    void peakResidentSetStaysWithinTheBudget() throws Exception {
        long memory = 32 << 20;
        Path big = tmp.resolve("big"), small = tmp.resolve("small");
        StoreManifest m = SyntheticStore.write(big, 40, 16384, 64); // 40 × 4.5 MiB = 5.4× the budget
        SyntheticStore.write(small, 2, 256, 64);
        long storeBytes = m.rows() * m.layout().rowBytes();
        assertTrue(storeBytes > 5 * memory, "store " + storeBytes + " bytes");
        long baseline = peakKb(tmp, small, "small-out", memory) * 1024; // the JVM's own footprint, with a tiny store
        long peak = peakKb(tmp, big, "big-out", memory) * 1024;
        System.out.printf("shuffle of %d MiB with --memory %d MiB: peak RSS %d MiB (JVM baseline %d MiB)%n",
                storeBytes >> 20, memory >> 20, peak >> 20, baseline >> 20);
        assertTrue(peak - baseline <= memory, "peak RSS " + (peak >> 20) + " MiB exceeds baseline " + (baseline >> 20) + " MiB + budget");
        assertTrue(peak < storeBytes, "peak RSS below the store's size");
        assertEquals(List.of(), Verifier.verify(tmp.resolve("big-out")));
    }
}
