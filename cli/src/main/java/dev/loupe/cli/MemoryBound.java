package dev.loupe.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.kernels.Attention;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.format.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The memory goal a benchmark checks its peak RSS against: 1.15 × the weights' bytes (the checkpoint's, or
 * the widened weights' with {@code --dtype f32}) + the activations the measured computation holds + the JVM's own
 * baseline: the peak RSS of the same {@code loupe bench} command, with this process's JVM flags (heap sizes
 * included), run on Loupe's bundled 2.7 MB model ({@link #jvmBaseline}). That baseline is what the JVM holds for
 * the command whatever the model: its compiled code, metaspace, the collector's tables for this heap, thread
 * stacks, the bundled model and its small tokenizer, and the young generation the run allocates through.
 *
 * <p>The activations by mode: a forward (prefill) holds the residual stream and one block's temporaries of every
 * position plus the logits it returns ({@link #forwardActivations}); a cached forward adds the bytes of the
 * tensors its cache keeps; greedy decoding holds the KV cache of every position (a sliding-window layer's ring
 * only its window), one token's forward and its logits ({@link #decodeActivations}). The 0.15 × weights is all the
 * slack there is for what else the process holds: the model's tokenizer and other objects, the unused tails of the
 * weights' heap regions, and dead temporaries between collections; the heap the launcher allows
 * ({@code LOUPE_HEAP_ROOM}) is what bounds the last (README "Memory").
 *
 * @param weightBytes the checkpoint's bytes, or the resident weights' when they are widened to float32
 * @param activationBytes an estimate of the activations live at the computation's peak (see the factories)
 * @param jvmBaselineBytes the same command's peak RSS on the bundled model; -1 when it could not be measured
 */
record MemoryBound(long weightBytes, long activationBytes, long jvmBaselineBytes) {
    private static final double MIB = 1 << 20;

    /**
     * A forward over {@code rows} positions: the residual stream and one block's temporaries (normed input,
     * query/key/value, attention output, the MLP's hidden layers), the logits of every position (or only of
     * each sequence's last, {@code logitRows}), and the activations a cache keeps ({@code cachedBytes}).
     * Attention is streamed, so no [heads, pos, pos] tensor is counted.
     */
    static long forwardActivations(TransformerConfig c, long rows, long logitRows, long cachedBytes) {
        long block = 4L * c.dModel() + (long) (2 * c.nHeads() + 2 * c.nKvHeads()) * c.dHead() + 3L * c.dMlp();
        return 4 * (rows * (c.dModel() + block) + logitRows * c.dVocab()) + cachedBytes;
    }

    /**
     * Greedy decoding of {@code positions} positions at batch 1: the KV cache (keys and values of every position,
     * only the window's in a sliding-window layer with a window shorter than the sequence, plus the one layer's
     * visible keys and values such a layer lays out in order), one token's forward and its logits.
     */
    static long decodeActivations(TransformerConfig c, long positions) {
        long kvPositions = 0, span = 0;
        for (int l = 0; l < c.nLayers(); l++) {
            int window = c.attention(l).window();
            boolean ring = window > 0 && window < positions;
            kvPositions += ring ? window : positions;
            if (ring) span = Math.min(positions, window + Attention.KEY_BLOCK);
        }
        long kv = 2L * (kvPositions + span) * c.nKvHeads() * c.dHead();
        return 4 * kv + forwardActivations(c, 1, 1, 0);
    }

    /** 1.15 × weights + activations + JVM baseline, in bytes. */
    long bytes() {
        return Math.round(1.15 * weightBytes) + activationBytes + Math.max(0, jvmBaselineBytes);
    }

    /** Adds the bound's terms and whether {@code peakRssMiB} holds to a benchmark's result, and prints them. */
    void report(ObjectNode r, double peakRssMiB) {
        boolean holds = peakRssMiB <= bytes() / MIB;
        r.put("weights_mib", Math.round(weightBytes / MIB)).put("activations_mib", Math.round(activationBytes / MIB))
                .put("jvm_baseline_mib", Math.round(jvmBaselineBytes / MIB)).put("rss_bound_mib", Math.round(bytes() / MIB))
                .put("rss_bound_holds", holds);
        System.out.printf("memory bound: peak RSS %.0f MiB %s 1.15 x weights %.0f MiB + activations %.0f MiB + JVM baseline %.0f MiB = %.0f MiB%n",
                peakRssMiB, holds ? "<=" : "EXCEEDS", weightBytes / MIB, activationBytes / MIB, jvmBaselineBytes / MIB, bytes() / MIB);
    }

    /** The system property that marks the child run of {@link #jvmBaseline}: it measures nothing further. */
    static final String BASELINE_RUN = "loupe.bench.baseline-run";

    /** Whether this process is the baseline run of a benchmark ({@link #BASELINE_RUN}). */
    static boolean baselineRun() {
        return Boolean.getBoolean(BASELINE_RUN);
    }

    /**
     * Peak RSS, in bytes, of {@code loupe bench ARGV} run as a child JVM with this JVM's flags and classpath and
     * {@link #BASELINE_RUN} set, which makes the benchmark load the bundled model instead of {@code --model} (and
     * clip its lengths to that model's context); -1 when it cannot be run or reports no peak. Flight recordings,
     * agents and GC logs are left out.
     */
    static long jvmBaseline(String... argv) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-XX:StartFlightRecording") && !a.startsWith("-Xlog") && !a.startsWith("-agent")) cmd.add(a);
        }
        cmd.addAll(List.of("-D" + BASELINE_RUN + "=true", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "bench"));
        cmd.addAll(List.of(argv));
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            long rss = -1;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("RESULT ")) rss = Math.round(Json.MAPPER.readTree(line.substring(7)).path("peak_rss_mib").asDouble(-1) * MIB);
                }
            }
            return p.waitFor() == 0 && rss > 0 ? rss : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
