package dev.loupe.interp.analysis;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.GradientRun;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.hooks.Hooks;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Timings for the analysis issue, run by hand (not a test):
 * <pre>
 * grad  MODEL BATCH POS REPEATS   forward alone vs forward + backward (next-token loss, gradients down to the
 *                                 embeddings at every activation); peak heap during the backward and VmHWM
 * sweep MODEL POS BATCH REPEATS   residual patching sweep (layers × positions) with and without prefix reuse
 * </pre>
 * Each figure is printed per repeat; report the median/best (the machine is shared).
 */
public final class AnalysisBench {
    private AnalysisBench() {}

    public static void main(String[] a) throws Exception {
        HookedTransformer model = ModelLoader.load(a[1], null).transformer();
        switch (a[0]) {
            case "grad" -> grad(model, Integer.parseInt(a[2]), Integer.parseInt(a[3]), Integer.parseInt(a[4]));
            case "sweep" -> sweep(model, Integer.parseInt(a[2]), Integer.parseInt(a[3]), Integer.parseInt(a[4]));
            default -> throw new IllegalArgumentException("mode is grad or sweep");
        }
    }

    static void grad(HookedTransformer model, int batch, int pos, int repeats) throws Exception {
        int[][] tokens = randomTokens(model, batch, pos, 1);
        for (int r = 0; r <= repeats; r++) {
            long t0 = System.nanoTime();
            model.forward(tokens, Hooks.none(model.hooks()), null, ForwardOptions.FULL);
            long t1 = System.nanoTime();
            System.gc();
            List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
            long before = heap.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
            heap.forEach(MemoryPoolMXBean::resetPeakUsage);
            long t2 = System.nanoTime();
            GradientRun run = GradientRun.ofLoss(model, tokens, List.of("blocks.*.hook_resid_pre"));
            long t3 = System.nanoTime();
            long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
            double f = (t1 - t0) / 1e9, fb = (t3 - t2) / 1e9;
            System.out.printf("%s batch %d x %d: forward %.2f s, forward+backward %.2f s (%.2fx); heap before %d MiB, peak during %d MiB; VmHWM %s; loss %.4f%n",
                    r == 0 ? "warm-up" : "repeat " + r, batch, pos, f, fb, fb / f, before >> 20, peak >> 20, vmHwm(), run.value().data()[0]);
        }
    }

    static void sweep(HookedTransformer model, int pos, int batch, int repeats) {
        int[][] pair = randomTokens(model, 2, pos, 2);
        PatchingProblem problem = new PatchingProblem(pair[0], pair[1], new LogitDifference(11, 22));
        PatchingRuns runs = PatchingRuns.of(model, problem);
        int count = model.config().nLayers() * pos;
        for (int r = 0; r <= repeats; r++) {
            for (boolean reuse : new boolean[] {false, true}) {
                long t0 = System.nanoTime();
                ActivationPatching.sweep(model, runs, SweepKind.RESIDUAL, reuse, batch);
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf("%s %d layers x %d positions, batch %d, prefix %s: %.2f s, %.1f runs/s%n", r == 0 ? "warm-up" : "repeat " + r,
                        model.config().nLayers(), pos, batch, reuse ? "reused    " : "recomputed", s, count / s);
            }
        }
    }

    private static int[][] randomTokens(HookedTransformer model, int batch, int pos, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] t = new int[batch][pos];
        for (int[] row : t) Arrays.setAll(row, i -> rng.nextInt(model.config().dVocab()));
        return t;
    }

    private static String vmHwm() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM")).findFirst()
                .map(l -> l.substring(6).trim()).orElse("?");
    }
}
