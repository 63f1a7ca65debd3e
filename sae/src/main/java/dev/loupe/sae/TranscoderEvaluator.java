package dev.loupe.sae;

import dev.loupe.core.Autograd;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.ProgressBar;
import dev.loupe.model.hooks.Hooks;

/**
 * Measures a transcoder set on text: FVU of the MLP outputs, L0 and dead features from the clean model's MLP
 * inputs, and the model's next-token loss with every replaced MLP's output ({@code hook_mlp_out}) overwritten
 * by the transcoders' prediction from the replaced model's own MLP inputs, against the clean model and against
 * zeroing those outputs (CE recovered).
 */
public final class TranscoderEvaluator {
    private TranscoderEvaluator() {}

    public static TranscoderReport evaluate(HookedTransformer model, TranscoderWeights w, TextContexts texts, int batches, int batchSize) {
        return evaluate(model, w, texts, batches, batchSize, ProgressBar.silent());
    }

    /** As {@link #evaluate(HookedTransformer, TranscoderWeights, TextContexts, int, int)}, showing progress after each batch. */
    public static TranscoderReport evaluate(HookedTransformer model, TranscoderWeights w, TextContexts texts, int batches, int batchSize,
                                            ProgressBar progress) {
        TranscoderSpec spec = w.spec;
        int nl = spec.nLayers(), d = spec.dModel(), n = spec.dTranscoder();
        for (String h : spec.rowHooks()) {
            if (model.hooks().get(h) == null) throw new IllegalArgumentException("transcoder hook '" + h + "' is not a hook of this model");
        }
        int first = texts.hasBos() ? 1 : 0;
        boolean[] fired = new boolean[nl * n];
        double[] sse = new double[nl], sumSq = new double[nl], sum = new double[nl * d];
        double nnz = 0, ceClean = 0, ceRep = 0, ceZero = 0;
        long tokens = 0, predictions = 0;
        for (int bi = 0; bi < batches; bi++) {
            int[][] ids = texts.next(batchSize);
            int pos = ids[0].length, rows = batchSize * pos;
            float[] x = new float[rows * nl * d], y = new float[rows * nl * d];
            Hooks.Builder cb = Hooks.builder(model.hooks());
            for (int i = 0; i < nl; i++) {
                capture(cb, spec.inputHook(i), x, i, nl, d);
                capture(cb, spec.outputHook(i), y, i, nl, d);
            }
            Tensor clean = run(model, ids, cb.build());
            SparseCodes[] codes = w.encode(x, rows);
            float[] yHat = w.biasRows(rows);
            for (int i = 0; i < nl; i++) w.decodeInto(i, codes[i], x, yHat);
            for (int r = 0; r < rows; r++) {
                if (r % pos < first) continue;
                for (int t = 0; t < nl; t++) {
                    for (int c = 0; c < d; c++) {
                        int a = (r * nl + t) * d + c;
                        double e = yHat[a] - y[a];
                        sse[t] += e * e;
                        sumSq[t] += (double) y[a] * y[a];
                        sum[t * d + c] += y[a];
                    }
                }
                for (int i = 0; i < nl; i++) {
                    SparseCodes f = codes[i];
                    nnz += f.count(r);
                    for (int c = f.rowStart()[r]; c < f.rowStart()[r + 1]; c++) fired[i * n + f.index()[c]] = true;
                }
                tokens++;
            }
            Tensor replaced = run(model, ids, replacing(model, w, rows, pos, first));
            Hooks.Builder zb = Hooks.builder(model.hooks());
            for (int t = 0; t < nl; t++) zb.add(spec.outputHook(t), (a, ctx) -> keepFirst(a, new float[a.numel()], pos, first, d));
            Tensor zero = run(model, ids, zb.build());
            long count = (long) batchSize * (pos - 1);
            ceClean += Ops.nextTokenLoss(clean, ids).data()[0] * count;
            ceRep += Ops.nextTokenLoss(replaced, ids).data()[0] * count;
            ceZero += Ops.nextTokenLoss(zero, ids).data()[0] * count;
            predictions += count;
            progress.update(tokens, (bi + 1.0) / batches);
        }
        progress.finish();
        double[] layerFvu = new double[nl];
        double totalSse = 0, totalVar = 0;
        for (int t = 0; t < nl; t++) {
            double meanSq = 0;
            for (int c = 0; c < d; c++) meanSq += Math.pow(sum[t * d + c] / tokens, 2);
            double variance = sumSq[t] - tokens * meanSq;
            layerFvu[t] = sse[t] / variance;
            totalSse += sse[t];
            totalVar += variance;
        }
        int dead = 0;
        for (boolean f : fired) if (!f) dead++;
        double c0 = ceClean / predictions, c1 = ceRep / predictions, cz = ceZero / predictions;
        return new TranscoderReport(tokens, totalSse / totalVar, layerFvu, nnz / tokens / nl, dead, c0, c1, cz, (cz - c1) / (cz - c0));
    }

    /** Hooks that copy a hook's [batch, pos, d] activation into column slice t of rows [batch·pos, nl·d]. */
    private static void capture(Hooks.Builder b, String hook, float[] into, int t, int nl, int d) {
        b.add(hook, (a, ctx) -> {
            float[] v = a.data();
            for (int r = 0; r < v.length / d; r++) System.arraycopy(v, r * d, into, (r * nl + t) * d, d);
            return a;
        });
    }

    /**
     * The replacement run's hooks: each input hook encodes its layer and adds the features' outputs to every target
     * layer's prediction; each output hook is overwritten by its (by then complete) prediction.
     */
    static Hooks replacing(HookedTransformer model, TranscoderWeights w, int rows, int pos, int first) {
        TranscoderSpec spec = w.spec;
        int nl = spec.nLayers(), d = spec.dModel();
        float[] x = new float[rows * nl * d];
        float[] yHat = w.biasRows(rows);
        float[] pre = new float[rows * spec.dTranscoder()];
        Hooks.Builder b = Hooks.builder(model.hooks());
        for (int i = 0; i < nl; i++) {
            int layer = i;
            capture(b, spec.inputHook(i), x, i, nl, d);
            b.add(spec.inputHook(i), (a, ctx) -> {
                SparseCodes f = spec.architecture().activate(w.latents(layer), w.preActivations(layer, x, rows, pre), rows);
                w.decodeInto(layer, f, x, yHat);
                return a;
            });
            b.add(spec.outputHook(i), (a, ctx) -> {
                float[] out = new float[a.numel()];
                for (int r = 0; r < rows; r++) System.arraycopy(yHat, (r * nl + layer) * d, out, r * d, d);
                return keepFirst(a, out, pos, first, d);
            });
        }
        return b.build();
    }

    /** {@code out} (same shape as a) with the first {@code first} positions of each sequence taken from a. */
    private static Tensor keepFirst(Tensor a, float[] out, int pos, int first, int d) {
        float[] v = a.data();
        for (int r = 0; r < v.length / d; r++) if (r % pos < first) System.arraycopy(v, r * d, out, r * d, d);
        return Tensor.of(out, a.shape());
    }

    private static Tensor run(HookedTransformer model, int[][] ids, Hooks hooks) {
        return Autograd.noGrad(() -> model.forward(ids, hooks, null, ForwardOptions.FULL));
    }
}
