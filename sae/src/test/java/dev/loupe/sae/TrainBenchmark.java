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
        float[] data = new float[batch * dIn];
        for (int i = 0; i < data.length; i++) data[i] = (float) rng.nextGaussian();
        TrainOptions.Builder o = TrainOptions.builder(steps + 2);
        o.batchSize = batch;
        o.normalize = false;
        o.bDecInit = TrainOptions.BDecInit.ZEROS;
        o.lr = 1e-4;
        long[] times = new long[steps + 2];
        long[] last = {System.nanoTime()};
        ActivationSource same = new ActivationSource() {
            public int dIn() {
                return dIn;
            }

            public void next(float[] out, int rows) {
                System.arraycopy(data, 0, out, 0, rows * dIn);
            }

            public void save(java.io.DataOutputStream out) {}

            public void restore(java.io.DataInputStream in) {}
        };
        try {
            new SaeTrainer(cfg, o.build(), same).onStep((step, stats) -> {
                long now = System.nanoTime();
                times[(int) step - 1] = now - last[0];
                last[0] = now;
            }).train();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        long[] timed = java.util.Arrays.copyOfRange(times, 2, times.length);
        java.util.Arrays.sort(timed);
        double median = timed[timed.length / 2] / 1e9, best = timed[0] / 1e9;
        System.out.printf("loupe %s d_in=%d d_sae=%d k=%d batch=%d threads=%d: median %.3f s/step (%.0f tok/s), best %.3f s/step (%.0f tok/s)%n",
                arch, dIn, dSae, k, batch, dev.loupe.core.Parallel.threads(), median, batch / median, best, batch / best);
    }
}
