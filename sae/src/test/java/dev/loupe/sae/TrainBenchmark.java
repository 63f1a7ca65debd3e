package dev.loupe.sae;

/**
 * Training throughput of one SAE step on random data, for comparison with {@code bench/torch_sae_topk.py}
 * (run both with {@code bench/run-sae.sh}). Args: d_in d_sae k batch steps [architecture]. Times full
 * optimizer steps (forward, backward, decoder projection, Adam, renormalisation) after two warm-up steps
 * and prints the median and best tokens/s.
 */
public final class TrainBenchmark {
    private TrainBenchmark() {}

    public static void main(String[] args) {
        int dIn = Integer.parseInt(args[0]), dSae = Integer.parseInt(args[1]), k = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]), steps = Integer.parseInt(args[4]);
        String arch = args.length > 5 ? args[5] : "topk";
        SaeConfig cfg = new SaeConfig(arch, dIn, dSae, "bench", 0, "random", k, true, "none", 0);
        Rng rng = new Rng(0);
        StepBench bench = new StepBench(steps);
        try {
            new SaeTrainer(cfg, bench.options(batch), StepBench.repeatedBatch(rng, batch, dIn)).onStep(bench).train();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        System.out.printf("loupe %s d_in=%d d_sae=%d k=%d batch=%d threads=%d: %s%n",
                arch, dIn, dSae, k, batch, dev.loupe.core.Parallel.threads(), bench.summary(batch));
    }
}
