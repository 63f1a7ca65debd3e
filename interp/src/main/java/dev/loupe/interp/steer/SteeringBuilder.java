package dev.loupe.interp.steer;

import dev.loupe.core.Tensor;
import dev.loupe.interp.HookReadout;
import dev.loupe.interp.LoupeVersion;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.HookPattern;
import dev.loupe.model.hooks.HookSpec;
import java.util.List;
import java.util.function.Function;

/**
 * Builds a steering vector from contrastive prompt pairs: each prompt's activation at one hook (its last
 * token, or the mean over its tokens), then either the mean of the positive-minus-negative differences
 * (contrastive activation addition) or their first principal component, signed to agree with the mean
 * difference and scaled to the mean difference's length along it.
 */
public final class SteeringBuilder {
    private SteeringBuilder() {}

    /** How the differences become one vector. */
    public enum Method {
        MEAN_DIFF("mean-diff"), PCA("pca");

        public final String label;

        Method(String label) {
            this.label = label;
        }
    }

    /** Which activation represents a prompt. */
    public enum Position {
        LAST("last"), MEAN("mean");

        public final String label;

        Position(String label) {
            this.label = label;
        }
    }

    /** Whether the vector is rescaled to unit length. */
    public enum Normalization {
        NONE("none"), UNIT("unit");

        public final String label;

        Normalization(String label) {
            this.label = label;
        }
    }

    /** What to build: where to read, how to combine, how to scale. */
    public record Recipe(String hook, Method method, Position position, Normalization normalization) {}

    /**
     * @param tokenize prompt text to the ids the model sees (e.g. {@code LoadedModel::tokens})
     * @param modelId where the model came from, recorded in the metadata
     */
    public static SteeringVector build(HookedTransformer model, Function<String, int[]> tokenize, String modelId,
                                       List<ContrastPair> pairs, Recipe recipe) {
        if (pairs.isEmpty()) throw new IllegalArgumentException("no contrast pairs");
        HookSpec hook = model.hooks().get(recipe.hook());
        if (hook == null) {
            throw new IllegalArgumentException("unknown hook '" + recipe.hook() + "'; nearest: " + HookPattern.nearest(model.hooks(), recipe.hook(), 3));
        }
        if (!hook.shape().startsWith("[batch, pos,")) {
            throw new IllegalArgumentException(hook.name() + " " + hook.shape() + " has no per-position vector to steer with");
        }
        float[][] diffs = new float[pairs.size()][];
        for (int k = 0; k < pairs.size(); k++) {
            float[] pos = represent(model, tokenize.apply(pairs.get(k).positive()), hook, recipe.position());
            float[] neg = represent(model, tokenize.apply(pairs.get(k).negative()), hook, recipe.position());
            for (int i = 0; i < pos.length; i++) pos[i] -= neg[i];
            diffs[k] = pos;
        }
        int d = diffs[0].length;
        double[] mean = new double[d];
        for (float[] r : diffs) for (int i = 0; i < d; i++) mean[i] += r[i] / (double) diffs.length;
        double[] v = mean;
        if (recipe.method() == Method.PCA) {
            double[] pc = Pca.firstComponent(diffs, mean);
            double along = 0;
            for (int i = 0; i < d; i++) along += pc[i] * mean[i];
            for (int i = 0; i < d; i++) pc[i] *= along;
            v = pc;
        }
        if (recipe.normalization() == Normalization.UNIT && Pca.normalize(v) == 0) {
            throw new IllegalArgumentException("the steering vector is zero: the positive and negative prompts give the same activations");
        }
        float[] out = new float[d];
        for (int i = 0; i < d; i++) out[i] = (float) v[i];
        SteeringMetadata md = new SteeringMetadata(modelId, model.config().architecture(), model.config().dModel(), hook.name(),
                hook.layer(), recipe.normalization().label, recipe.method().label, recipe.position().label, pairs.size(), LoupeVersion.get());
        return new SteeringVector(Tensor.of(out, d), md);
    }

    /** A prompt's activation at {@code hook}: last position, or the mean over positions (flattened per position). */
    private static float[] represent(HookedTransformer model, int[] ids, HookSpec hook, Position position) {
        Tensor a = HookReadout.read(model, ids, hook);
        int pos = a.size(0), w = a.numel() / pos;
        float[] out = new float[w];
        float[] data = a.data();
        if (position == Position.LAST) {
            System.arraycopy(data, (pos - 1) * w, out, 0, w);
        } else {
            double[] sum = new double[w];
            for (int p = 0; p < pos; p++) for (int i = 0; i < w; i++) sum[i] += data[p * w + i];
            for (int i = 0; i < w; i++) out[i] = (float) (sum[i] / pos);
        }
        return out;
    }
}
