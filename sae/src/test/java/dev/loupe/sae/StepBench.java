package dev.loupe.sae;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.Arrays;

/**
 * What {@link TrainBenchmark} and {@link TranscoderBenchmark} share: one random batch handed out at every step (so the
 * timing is the optimizer step alone), the benchmark's training options, and per-step wall times with their median
 * and best after two warm-up steps.
 */
final class StepBench implements SaeTrainer.StepListener {
    private final long[] times;
    private long last = System.nanoTime();

    /** Times {@code steps} steps after two warm-up steps. */
    StepBench(int steps) {
        times = new long[steps + 2];
    }

    /** Options for {@code steps} timed steps (plus the warm-up) of {@code batch} rows, no normalisation, b_dec zero. */
    TrainOptions options(int batch) {
        TrainOptions.Builder o = TrainOptions.builder(times.length);
        o.batchSize = batch;
        o.normalize = false;
        o.bDecInit = TrainOptions.BDecInit.ZEROS;
        o.lr = 1e-4;
        return o.build();
    }

    /** A source repeating one batch of {@code batch} × {@code width} standard-normal values. */
    static ActivationSource repeatedBatch(Rng rng, int batch, int width) {
        float[] data = new float[batch * width];
        for (int i = 0; i < data.length; i++) data[i] = (float) rng.nextGaussian();
        return new ActivationSource() {
            public int dIn() {
                return width;
            }

            public void next(float[] out, int rows) {
                System.arraycopy(data, 0, out, 0, rows * width);
            }

            public void save(DataOutputStream out) {}

            public void restore(DataInputStream in) {}
        };
    }

    @Override
    public void afterStep(long step, StepStats stats) {
        long now = System.nanoTime();
        times[(int) step - 1] = now - last;
        last = now;
    }

    /** "median S s/step (T tok/s), best S s/step (T tok/s)" over the timed steps. */
    String summary(int batch) {
        long[] timed = Arrays.copyOfRange(times, 2, times.length);
        Arrays.sort(timed);
        double median = timed[timed.length / 2] / 1e9, best = timed[0] / 1e9;
        return String.format("median %.3f s/step (%.0f tok/s), best %.3f s/step (%.0f tok/s)", median, batch / median, best, batch / best);
    }
}
