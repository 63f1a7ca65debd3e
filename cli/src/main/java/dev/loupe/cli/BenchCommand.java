package dev.loupe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Parallel;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.WeightDtype;
import dev.loupe.model.WeightMemory;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.Json;
import dev.loupe.model.generate.Generator;
import dev.loupe.model.generate.Sampling;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.Hooks;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * {@code loupe bench}: model-level throughput and memory. Each measurement prints readable lines and one
 * {@code RESULT {json}} line that {@code bench/run-model.sh} turns into a table beside PyTorch.
 */
final class BenchCommand implements Command {
    private static final ObjectMapper JSON = Json.MAPPER;

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "measure forward and decode speed and peak memory";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe bench make-model --out DIR [--shape NAME] [--dtype f32|bf16]
                                          [--layers 12 --d-model 768 --heads 12 --vocab 50257 --ctx 1024] [--seed 0]
                   loupe bench forward --model DIR [--dtype f32|stored] [--batch 8 --pos 128] [--cache PATTERN ... | --last-logits]
                                       [--warmup 2 --iters 5]
                   loupe bench decode --model DIR [--dtype f32|stored] [--tokens 128 --prompt-len 1] [--warmup 1 --iters 3] [--read-mib 1024]
            make-model writes a Hugging Face folder with random weights: with --shape, a real model's exact
            published dimensions and config (SHAPES) plus a tokenizer.json of its vocabulary size; else a
            GPT-2 of the given sizes. --dtype bf16 stores the weights as BF16 (default f32).
            forward times full forward passes over fixed ids (tokens/s, median and best of the iters), with
            no hooks or caching every activation the --cache patterns select (e.g. 'blocks.*.hook_resid_post'),
            or with --last-logits only the last position's logits (a prefill).
            decode times greedy batch-1 generation with the KV cache, prefill excluded (tokens/s), and
            compares the weight bytes it streams per second with a read bandwidth measured in the same run
            (the median of 9 passes summing a --read-mib buffer, far larger than the caches, after the peak RSS
            is taken; its spread is printed and kept in the result).
            Both report peak heap (sum of heap pools' peaks) and peak RSS, the memory bound 1.15 x weights
            (the checkpoint, or widened with --dtype f32) + activations (estimated) + JVM baseline (the peak RSS of
            the same command, same JVM flags, on the bundled model) and whether the peak RSS holds it, and end with a line
            'RESULT {json}'. Run with LOUPE_JAVA_OPTS=-Dloupe.hooks=off to time the forward without
            any hook machinery.""".replace("SHAPES", ModelShape.names());
    }

    @Override
    public int run(String[] argv) throws Exception {
        if (argv.length == 0) throw new Args.UsageException("bench: give a mode: make-model, forward or decode");
        return switch (argv[0]) {
            case "make-model" -> makeModel(argv);
            case "forward" -> forward(argv);
            case "decode" -> decode(argv);
            default -> throw new Args.UsageException("bench: unknown mode '" + argv[0] + "' (modes: make-model, forward, decode)");
        };
    }

    private int makeModel(String[] argv) throws Exception {
        Args args = new Args("bench make-model", argv, 1,
                Set.of("out", "shape", "dtype", "layers", "d-model", "heads", "vocab", "ctx", "seed"), Set.of());
        Path out = Path.of(args.require("out"));
        DType dtype = switch (args.has("dtype") ? args.get("dtype") : "f32") {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw new Args.UsageException("bench make-model: --dtype is f32 or bf16, not '" + args.get("dtype") + "'");
        };
        long t0 = System.nanoTime();
        if (args.has("shape")) {
            ModelShape shape = ModelShape.byName(args.get("shape"));
            shape.write(out, dtype, args.intOr("seed", 0));
            System.out.printf("wrote random %s (%s, %.1fM parameters) to %s in %.1f s%n", shape.id, dtype,
                    shape.parameters() / 1e6, out, (System.nanoTime() - t0) / 1e9);
            return 0;
        }
        RandomGpt2 spec = new RandomGpt2(args.intOr("layers", 12), args.intOr("d-model", 768), args.intOr("heads", 12),
                args.intOr("vocab", 50257), args.intOr("ctx", 1024), args.intOr("seed", 0), dtype);
        spec.write(out);
        System.out.printf("wrote random GPT-2 (%d layers, d_model %d, %d heads, vocab %d, ctx %d; %.1fM parameters) to %s in %.1f s%n",
                spec.layers(), spec.dModel(), spec.heads(), spec.vocab(), spec.ctx(), spec.parameters() / 1e6, out,
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private int forward(String[] argv) throws Exception {
        Args args = new Args("bench forward", argv, 1, Set.of("model", "dtype", "batch", "pos", "cache", "warmup", "iters", "seed"),
                Set.of("last-logits"));
        int batch = positive(args, "batch", 8), pos = positive(args, "pos", 128);
        int warmup = Math.max(0, args.intOr("warmup", 2)), iters = positive(args, "iters", 5);
        List<String> patterns = args.all("cache");
        long t0 = System.nanoTime();
        LoadedModel m = load(args);
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        HookedTransformer t = m.transformer();
        if (MemoryBound.baselineRun()) pos = Math.min(pos, t.config().nCtx());
        int[][] tokens = benchIds(batch, pos, t.config().dVocab(), args.intOr("seed", 0));
        boolean lastLogits = args.has("last-logits");
        long[] cachedBytes = {0};
        Runnable once = () -> {
            if (lastLogits) {
                t.forward(tokens, Hooks.none(t.hooks()), null, ForwardOptions.LAST_LOGITS);
                return;
            }
            if (patterns.isEmpty()) {
                t.forward(tokens);
                return;
            }
            ActivationCache cache = new ActivationCache();
            t.runWithCache(tokens, patterns, cache);
            if (cache.names().isEmpty()) {
                throw new IllegalStateException("--cache " + patterns + " cached nothing (no such hook, or -Dloupe.hooks=off)");
            }
            cachedBytes[0] = 0;
            for (String name : cache.names()) cachedBytes[0] += 4L * cache.get(name).numel();
        };
        double[] rates = time(warmup, iters, batch * pos, once);
        String what = patterns.isEmpty() ? "no hooks" : "caching " + String.join(", ", patterns);
        ObjectNode r = result("forward", m, rates, warmup).put("load_s", loadSeconds);
        r.put("batch", batch).put("pos", pos).put("cache", String.join(",", patterns)).put("last_logits", lastLogits);
        long rows = (long) batch * pos;
        bound(argv, args, MemoryBound.forwardActivations(t.config(), rows, lastLogits ? batch : rows, cachedBytes[0])).report(r, r.get("peak_rss_mib").asDouble());
        report(String.format("forward %d x %d, %s, hook machinery %s", batch, pos, what, hookMachinery()), r);
        return 0;
    }

    /** Timed passes of the read-bandwidth measurement after each decode benchmark. */
    private static final int READ_PASSES = 9;

    private int decode(String[] argv) throws Exception {
        Args args = new Args("bench decode", argv, 1, Set.of("model", "dtype", "tokens", "prompt-len", "warmup", "iters", "seed", "read-mib"), Set.of());
        int n = args.intOr("tokens", 128), promptLen = positive(args, "prompt-len", 1);
        if (n < 2) throw new Args.UsageException("bench decode: --tokens must be at least 2 (the first comes from prefill)");
        int warmup = Math.max(0, args.intOr("warmup", 1)), iters = positive(args, "iters", 3);
        long t0 = System.nanoTime();
        LoadedModel m = load(args);
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        HookedTransformer t = m.transformer();
        if (MemoryBound.baselineRun()) {
            promptLen = Math.min(promptLen, t.config().nCtx() / 2);
            n = Math.min(n, t.config().nCtx() - promptLen);
        }
        if (promptLen + n > t.config().nCtx()) throw new Args.UsageException("bench decode: prompt-len + tokens exceeds n_ctx " + t.config().nCtx());
        int[][] prompt = benchIds(1, promptLen, t.config().dVocab(), args.intOr("seed", 0));
        Generator g = new Generator(t);
        double[] rates = new double[iters];
        int[] generated = null;
        for (int i = -warmup; i < iters; i++) {
            long[] at = new long[n];
            int[] count = {0};
            int[] out = g.generate(prompt, n, Sampling.GREEDY, OptionalInt.empty(), Hooks.none(t.hooks()),
                    (row, token) -> at[count[0]++] = System.nanoTime())[0];
            if (i >= 0) rates[i] = (n - 1) / ((at[n - 1] - at[0]) / 1e9); // the first token comes from prefill
            generated = out;
        }
        ObjectNode r = result("decode", m, rates, warmup).put("load_s", loadSeconds);
        r.put("prompt_len", promptLen).put("tokens", n);
        bound(argv, args, MemoryBound.decodeActivations(t.config(), promptLen + n)).report(r, r.get("peak_rss_mib").asDouble());
        if (MemoryBound.baselineRun()) {
            report("baseline run, bundled model: greedy decode", r);
            return 0;
        }
        long streamed = streamedBytes(t);
        ReadBandwidth bw = ReadBandwidth.measure((long) positive(args, "read-mib", 1024) << 20, READ_PASSES);
        double read = bw.medianBytesPerSecond(), effective = streamed * r.get("median_tok_s").asDouble();
        r.put("weight_bytes_per_token", streamed).put("effective_gb_s", effective / 1e9).put("read_gb_s", read / 1e9)
                .put("read_gb_s_min", bw.minBytesPerSecond() / 1e9).put("read_gb_s_max", bw.maxBytesPerSecond() / 1e9)
                .put("read_mib", bw.bufferBytes() >> 20).put("bandwidth_pct", 100 * effective / read);
        System.out.printf("weights streamed per token %.1f MB: %.2f GB/s effective; read bandwidth measured now %s: %.0f%% of the median%n",
                streamed / 1e6, effective / 1e9, bw.describe(), 100 * effective / read);
        ArrayNode ids = r.putArray("ids"), gen = r.putArray("generated");
        for (int id : prompt[0]) ids.add(id);
        for (int id : generated) gen.add(id);
        report(String.format("greedy decode, batch 1, %d tokens after a %d-token prompt (prefill excluded)", n, promptLen), r);
        return 0;
    }

    private static LoadedModel load(Args args) throws java.io.IOException {
        String model = MemoryBound.baselineRun() ? ModelOptions.defaultModel().toString() : args.require("model");
        WeightDtype dtype = ModelOptions.dtype(args);
        System.err.println("loupe: " + ModelLoader.memory(model, dtype).describe(model));
        return ModelLoader.load(model, null, dtype);
    }

    /**
     * The memory bound of the measurement {@code bench ARGV}, whose activations are estimated at {@code activations}
     * bytes; its JVM baseline is the same command run on the bundled model (none inside that run).
     */
    private static MemoryBound bound(String[] argv, Args args, long activations) throws java.io.IOException {
        WeightMemory w = ModelLoader.memory(args.require("model"), ModelOptions.dtype(args));
        long baseline = MemoryBound.baselineRun() ? -1 : MemoryBound.jvmBaseline(argv);
        return new MemoryBound(Math.max(w.checkpointBytes(), w.residentBytes()), activations, baseline);
    }

    /** Bytes of the weights a decode step reads in full: every linear layer's packed weight and the unembedding. */
    private static long streamedBytes(HookedTransformer t) {
        long bytes = t.weights().unembed() == null ? 0 : t.weights().unembed().weight().packedTranspose().bytes();
        for (var b : t.weights().blocks()) {
            bytes += b.attn().qkv().weight().packedTranspose().bytes() + b.attn().out().weight().packedTranspose().bytes();
            if (b.mlp() == null) continue;
            if (b.mlp().gate() != null) bytes += b.mlp().gate().weight().packedTranspose().bytes();
            bytes += b.mlp().in().weight().packedTranspose().bytes() + b.mlp().out().weight().packedTranspose().bytes();
        }
        return bytes;
    }

    /** Tokens per second of each timed iteration, after {@code warmup} untimed ones. */
    private static double[] time(int warmup, int iters, int tokensPerRun, Runnable run) {
        for (int i = 0; i < warmup; i++) run.run();
        double[] rates = new double[iters];
        for (int i = 0; i < iters; i++) {
            long t0 = System.nanoTime();
            run.run();
            rates[i] = tokensPerRun / ((System.nanoTime() - t0) / 1e9);
        }
        return rates;
    }

    private static ObjectNode result(String bench, LoadedModel m, double[] rates, int warmup) {
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        PeakMemory mem = PeakMemory.now();
        ObjectNode r = JSON.createObjectNode();
        r.put("impl", "loupe").put("bench", bench).put("model", m.source().toString());
        r.put("hooks", hookMachinery()).put("threads", Parallel.threads());
        r.put("median_tok_s", median(sorted)).put("best_tok_s", sorted[sorted.length - 1]);
        ArrayNode samples = r.putArray("samples_tok_s");
        for (double v : rates) samples.add(Math.round(v * 10) / 10.0);
        r.put("warmup", warmup);
        r.put("peak_heap_mib", Math.round(mem.heapMiB())).put("peak_rss_mib", Math.round(mem.rssMiB()));
        return r;
    }

    private static void report(String title, ObjectNode r) throws Exception {
        System.out.printf("%s%n  %.1f tok/s median, %.1f best (%d iters after %d warmup, %d threads)%n"
                        + "  peak heap %d MiB (sum of pool peaks), peak RSS %d MiB%n",
                title, r.get("median_tok_s").asDouble(), r.get("best_tok_s").asDouble(), r.get("samples_tok_s").size(),
                r.get("warmup").asInt(), r.get("threads").asInt(), r.get("peak_heap_mib").asLong(), r.get("peak_rss_mib").asLong());
        System.out.println("RESULT " + JSON.writeValueAsString(r));
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** "off" under {@code -Dloupe.hooks=off} (see {@link Hooks}), else "on". */
    private static String hookMachinery() {
        return "off".equals(System.getProperty("loupe.hooks")) ? "off" : "on";
    }

    /** A fixed arithmetic sequence of ids, which bench/torch_gpt2.py reproduces to feed PyTorch the same input. */
    private static int[][] benchIds(int batch, int pos, int vocab, long seed) {
        int[][] ids = new int[batch][pos];
        for (int b = 0; b < batch; b++) {
            for (int p = 0; p < pos; p++) ids[b][p] = (int) Math.floorMod((long) (b * pos + p) * 7919 + seed * 104729 + 13, (long) vocab);
        }
        return ids;
    }

    private static int positive(Args args, String name, int fallback) {
        int v = args.intOr(name, fallback);
        if (v <= 0) throw new Args.UsageException("bench: --" + name + " must be a positive integer");
        return v;
    }
}
