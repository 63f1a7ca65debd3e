package dev.loupe.sae;

import dev.loupe.sae.transcoder.TranscoderHooks;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.Arrays;

/**
 * Training throughput of transcoder steps on random data, for comparison with {@code bench/torch_transcoder.py} (run
 * both with {@code bench/run-transcoder.sh}). Args: kind (transcoder | skip_transcoder | clt) layers d_model d_tc k
 * batch steps. TopK activation. Times full optimizer steps (forward, backward, decoder projection, Adam,
 * renormalisation) after two warm-up steps and prints the median and best tokens/s.
 */
public final class TranscoderBenchmark {
    private TranscoderBenchmark() {}

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        int layers = Integer.parseInt(args[1]), d = Integer.parseInt(args[2]), n = Integer.parseInt(args[3]), k = Integer.parseInt(args[4]);
        int batch = Integer.parseInt(args[5]), steps = Integer.parseInt(args[6]);
        int[] ls = new int[layers];
        Arrays.setAll(ls, i -> i);
        TranscoderSpec spec = new TranscoderSpec(kind, "topk", ls, d, n, k, TranscoderHooks.MLP, "random");
        Rng rng = new Rng(0);
        int width = 2 * layers * d;
        float[] data = new float[batch * width];
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
                return width;
            }

            public void next(float[] out, int rows) {
                System.arraycopy(data, 0, out, 0, rows * width);
            }

            public void save(DataOutputStream out) {}

            public void restore(DataInputStream in) {}
        };
        new TranscoderTrainer(spec, o.build(), same).onStep((step, stats) -> {
            long now = System.nanoTime();
            times[(int) step - 1] = now - last[0];
            last[0] = now;
        }).train();
        long[] timed = Arrays.copyOfRange(times, 2, times.length);
        Arrays.sort(timed);
        double median = timed[timed.length / 2] / 1e9, best = timed[0] / 1e9;
        System.out.printf("loupe %s topk layers=%d d_model=%d d_tc=%d k=%d batch=%d threads=%d: median %.3f s/step (%.0f tok/s), best %.3f s/step (%.0f tok/s)%n",
                kind, layers, d, n, k, batch, dev.loupe.core.Parallel.threads(), median, batch / median, best, batch / best);
    }
}
