package dev.loupe.sae;

import dev.loupe.sae.transcoder.TranscoderHooks;
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
        StepBench bench = new StepBench(steps);
        new TranscoderTrainer(spec, bench.options(batch), StepBench.repeatedBatch(rng, batch, width)).onStep(bench).train();
        System.out.printf("loupe %s topk layers=%d d_model=%d d_tc=%d k=%d batch=%d threads=%d: %s%n",
                kind, layers, d, n, k, batch, dev.loupe.core.Parallel.threads(), bench.summary(batch));
    }
}
