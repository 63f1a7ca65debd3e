package dev.loupe.interp.intervene;

import dev.loupe.core.Tensor;
import dev.loupe.interp.HookReadout;
import dev.loupe.interp.LoupeVersion;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.ProgressBar;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.HookPattern;
import dev.loupe.model.hooks.HookSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mean activations at hooks over a dataset, for mean-ablation: the average over every token of every
 * sequence of the activation at one position ([d_model], [d_mlp] or [n_heads, d_head]), accumulated in
 * double. Saved as safetensors under the hook names, so a spec's {@code "op": "mean"} finds them by default.
 *
 * @param means by hook name
 * @param sequences sequences averaged over
 * @param tokens positions averaged over
 */
public record MeanActivations(Map<String, Tensor> means, int sequences, long tokens) {
    /** Format tag stored in the file's metadata. */
    public static final String FORMAT = "loupe.means/1";

    /** Means at every hook {@code patterns} select over {@code sequences} (each truncated to n_ctx). */
    public static MeanActivations compute(HookedTransformer model, List<int[]> sequences, List<String> patterns) {
        return compute(model, sequences, patterns, ProgressBar.silent());
    }

    /** As {@link #compute(HookedTransformer, List, List)}, showing progress after each sequence. */
    public static MeanActivations compute(HookedTransformer model, List<int[]> sequences, List<String> patterns, ProgressBar progress) {
        Map<String, HookSpec> hooks = new LinkedHashMap<>();
        for (String p : patterns) for (HookSpec h : HookPattern.select(model.hooks(), p)) hooks.put(h.name(), h);
        Map<String, double[]> sums = new LinkedHashMap<>();
        for (HookSpec h : hooks.values()) {
            int[] feature = Layout.of(h, model.config()).featureShape();
            if (feature == null) throw new IllegalArgumentException(h.name() + " has no fixed shape per position to average");
            sums.put(h.name(), new double[(int) Tensor.numel(feature)]);
        }
        long tokens = 0;
        int done = 0;
        for (int[] ids : sequences) {
            int[] seq = ids.length > model.config().nCtx() ? java.util.Arrays.copyOf(ids, model.config().nCtx()) : ids;
            ActivationCache cache = HookReadout.read(model, seq, List.copyOf(hooks.values()));
            sums.forEach((name, sum) -> {
                float[] a = cache.get(name).data();
                for (int i = 0; i < a.length; i++) sum[i % sum.length] += a[i];
            });
            tokens += seq.length;
            progress.update(tokens, (double) ++done / sequences.size());
        }
        progress.finish();
        Map<String, Tensor> means = new LinkedHashMap<>();
        for (HookSpec h : hooks.values()) {
            double[] sum = sums.get(h.name());
            float[] m = new float[sum.length];
            for (int i = 0; i < m.length; i++) m[i] = (float) (sum[i] / tokens);
            means.put(h.name(), Tensor.of(m, Layout.of(h, model.config()).featureShape()));
        }
        return new MeanActivations(means, sequences.size(), tokens);
    }

    /** Writes the means (atomically) with metadata saying what they are and where they came from. */
    public void save(Path file, String modelId, String dataset) throws IOException {
        SafeTensorsWriter w = new SafeTensorsWriter()
                .metadata("format", FORMAT)
                .metadata("model", modelId)
                .metadata("dataset", dataset)
                .metadata("hooks", String.join(",", means.keySet()))
                .metadata("sequences", Integer.toString(sequences))
                .metadata("tokens", Long.toString(tokens))
                .metadata("reduction", "mean over every position of every sequence")
                .metadata("loupe_version", LoupeVersion.get());
        means.forEach(w::add);
        w.write(file);
    }
}
