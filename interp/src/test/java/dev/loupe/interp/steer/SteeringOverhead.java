package dev.loupe.interp.steer;

import dev.loupe.core.Tensor;
import dev.loupe.interp.intervene.Intervention;
import dev.loupe.interp.intervene.InterventionSpec;
import dev.loupe.interp.intervene.Interventions;
import dev.loupe.interp.intervene.Operation;
import dev.loupe.interp.intervene.Scope;
import dev.loupe.interp.intervene.TensorRef;
import dev.loupe.interp.intervene.TensorResolver;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.generate.Generator;
import dev.loupe.model.generate.Sampling;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.model.hooks.Site;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.OptionalInt;
import java.util.SplittableRandom;

/**
 * Measures what one steering vector costs in greedy decoding: batch 1, a fixed prompt, N new tokens, with
 * and without an {@code add} at a middle layer's residual stream, runs interleaved; prints median and best.
 * Not a test (run by hand): {@code java -cp ... dev.loupe.interp.steer.SteeringOverhead MODEL [TOKENS] [RUNS]}.
 */
public final class SteeringOverhead {
    /** Keeps the timed hook calls observable, so the JIT cannot drop them. */
    static volatile float sink;

    private SteeringOverhead() {}

    public static void main(String[] argv) throws Exception {
        HookedTransformer model = ModelLoader.load(argv[0], null).transformer();
        int tokens = argv.length > 1 ? Integer.parseInt(argv[1]) : 128;
        int runs = argv.length > 2 ? Integer.parseInt(argv[2]) : 9;
        int layer = model.config().nLayers() / 2;
        float[] v = new float[model.config().dModel()];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        Intervention add = new Intervention("blocks." + layer + ".hook_resid_post", new Operation.Add(new TensorRef.Inline(v), 4f), Scope.EVERYWHERE);
        Hooks steered = Interventions.compile(InterventionSpec.of(add), model, TensorResolver.EMPTY, null).hooks();
        Hooks plain = Hooks.none(model.hooks());
        int[][] prompt = {{464, 2068, 7586, 21831, 18045, 625, 262, 16931}};
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long[][] ns = new long[2][runs];
        long[][] cpu = new long[2][runs];
        double[] ratio = new double[runs];
        for (int i = -2; i < runs; i++) {
            for (int j = 0; j < 2; j++) {
                int k = (i + j) & 1; // alternate which goes first, so drift in machine load hits both alike
                long t0 = System.nanoTime(), c0 = os.getProcessCpuTime();
                new Generator(model).generate(prompt, tokens, Sampling.GREEDY, OptionalInt.empty(), k == 0 ? plain : steered, null);
                if (i >= 0) {
                    ns[k][i] = System.nanoTime() - t0;
                    cpu[k][i] = os.getProcessCpuTime() - c0;
                }
            }
            if (i >= 0) ratio[i] = (double) ns[1][i] / ns[0][i];
        }
        String[] label = {"unsteered", "steered (add at blocks." + layer + ".hook_resid_post)"};
        double[] median = new double[2];
        double[] best = new double[2];
        for (int k = 0; k < 2; k++) {
            long[] s = ns[k].clone();
            Arrays.sort(s);
            median[k] = s[runs / 2] / 1e6;
            best[k] = s[0] / 1e6;
            long[] c = cpu[k].clone();
            Arrays.sort(c);
            System.out.printf("%-45s wall median %.1f ms (%.2f ms/token), best %.1f ms; process CPU median %.1f ms; %d runs%n",
                    label[k], median[k], median[k] / tokens, best[k], c[runs / 2] / 1e6, runs);
        }
        Arrays.sort(ratio);
        System.out.printf("the add hook alone: %.2f us per decode step (one [1, 1, %d] activation)%n", hookMicros(steered, model), v.length);
        System.out.printf("overhead: median of paired ratios %+.2f%%, of medians %+.2f%%, of bests %+.2f%%%n", 100 * (ratio[runs / 2] - 1),
                100 * (median[1] / median[0] - 1), 100 * (best[1] / best[0] - 1));
    }

    /** Mean time of the compiled steering hook on one decode-step activation, isolated from the forward pass. */
    private static double hookMicros(Hooks steered, HookedTransformer model) {
        int layer = model.config().nLayers() / 2;
        Tensor x = Tensor.zeros(1, 1, model.config().dModel());
        int n = 200_000;
        float sum = 0;
        long t0 = 0;
        for (int i = -n; i < n; i++) {
            if (i == 0) t0 = System.nanoTime();
            sum += steered.fire(layer, Site.RESID_POST, x, 100 + (i & 63)).data()[0];
        }
        sink = sum;
        return (System.nanoTime() - t0) / 1e3 / n;
    }
}
