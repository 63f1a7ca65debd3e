package dev.loupe.sae;

import dev.loupe.core.Autograd;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.ProgressBar;
import dev.loupe.model.hooks.HookFn;
import dev.loupe.model.hooks.Hooks;

/**
 * Measures an SAE on text: reconstruction (MSE, FVU), sparsity (L0, dead and dense latents), and the
 * downstream view: next-token cross-entropy with the reconstruction spliced in, against the clean model
 * and against zero-ablating the hook, and the KL divergence to the clean next-token distribution. The BOS
 * position is left as it is in every run (its activation is an outlier no SAE is trained on) and excluded
 * from the reconstruction metrics.
 */
public final class SaeEvaluator {
    private SaeEvaluator() {}

    public static EvalReport evaluate(HookedTransformer model, Sae sae, TextContexts texts, int batches, int batchSize) {
        return evaluate(model, sae, texts, batches, batchSize, ProgressBar.silent());
    }

    /** As {@link #evaluate(HookedTransformer, Sae, TextContexts, int, int)}, showing progress after each batch. */
    public static EvalReport evaluate(HookedTransformer model, Sae sae, TextContexts texts, int batches, int batchSize, ProgressBar progress) {
        SaeSplice.requireFits(model, sae);
        String hook = sae.config().hookName();
        int d = sae.dIn(), n = sae.dSae();
        int first = texts.hasBos() ? 1 : 0;
        long[] fireCount = new long[n];
        double sse = 0, sumSq = 0, nnz = 0, ceClean = 0, ceSae = 0, ceZero = 0, kl = 0;
        double[] sum = new double[d];
        long tokens = 0, predictions = 0;
        for (int bi = 0; bi < batches; bi++) {
            int[][] ids = texts.next(batchSize);
            int pos = ids[0].length;
            Tensor[] seen = new Tensor[1];
            Tensor clean = run(model, ids, hook, (x, ctx) -> {
                seen[0] = x;
                return x;
            });
            float[] x = seen[0].data();
            float[] rows = new float[batchSize * (pos - first) * d];
            for (int b = 0; b < batchSize; b++) System.arraycopy(x, (b * pos + first) * d, rows, b * (pos - first) * d, (pos - first) * d);
            int m = batchSize * (pos - first);
            SparseCodes codes = sae.encodeSparse(rows, m);
            float[] recon = sae.decode(codes);
            for (int i = 0; i < rows.length; i++) {
                double e = recon[i] - rows[i];
                sse += e * e;
                sumSq += (double) rows[i] * rows[i];
                sum[i % d] += rows[i];
            }
            nnz += codes.nnz();
            for (int j : codes.index()) fireCount[j]++;
            tokens += m;
            Tensor spliced = run(model, ids, hook, (a, ctx) -> replaceFrom(a, first, recon, batchSize, pos, d));
            Tensor zero = run(model, ids, hook, (a, ctx) -> replaceFrom(a, first, new float[rows.length], batchSize, pos, d));
            long count = (long) batchSize * (pos - 1);
            ceClean += Ops.nextTokenLoss(clean, ids).data()[0] * count;
            ceSae += Ops.nextTokenLoss(spliced, ids).data()[0] * count;
            ceZero += Ops.nextTokenLoss(zero, ids).data()[0] * count;
            kl += klSum(clean, spliced, pos);
            predictions += count;
            progress.update(tokens, (bi + 1.0) / batches);
        }
        progress.finish();
        double meanSq = 0;
        for (double s : sum) meanSq += (s / tokens) * (s / tokens);
        double variance = sumSq - tokens * meanSq;
        int dead = 0, dense = 0;
        for (long c : fireCount) {
            if (c == 0) dead++;
            if (c > 0.1 * tokens) dense++;
        }
        double clean = ceClean / predictions, withSae = ceSae / predictions, zeroed = ceZero / predictions;
        return new EvalReport(tokens, sse / tokens, sse / variance, nnz / tokens, dead, dense, clean, withSae, zeroed,
                (zeroed - withSae) / (zeroed - clean), kl / predictions);
    }

    private static Tensor run(HookedTransformer model, int[][] ids, String hook, HookFn fn) {
        Hooks hooks = Hooks.builder(model.hooks()).add(hook, fn).build();
        return Autograd.noGrad(() -> model.forward(ids, hooks, null, ForwardOptions.FULL));
    }

    /** a [batch, pos, d] with positions from {@code first} on replaced by rows [batch·(pos−first), d]. */
    private static Tensor replaceFrom(Tensor a, int first, float[] rows, int batch, int pos, int d) {
        float[] out = a.data().clone();
        for (int b = 0; b < batch; b++) System.arraycopy(rows, b * (pos - first) * d, out, (b * pos + first) * d, (pos - first) * d);
        return Tensor.of(out, a.shape());
    }

    /** Σ over predicting positions (0..pos−2) of KL(p ‖ q), p and q the softmaxes of the two logits. */
    private static double klSum(Tensor p, Tensor q, int pos) {
        int vocab = p.size(-1), batch = p.size(0);
        float[] a = p.data(), b = q.data();
        double total = 0;
        for (int r = 0; r < batch; r++) {
            for (int t = 0; t < pos - 1; t++) {
                int o = (r * pos + t) * vocab;
                double la = logSumExp(a, o, vocab), lb = logSumExp(b, o, vocab);
                for (int i = 0; i < vocab; i++) {
                    double lpa = a[o + i] - la;
                    total += Math.exp(lpa) * (lpa - (b[o + i] - lb));
                }
            }
        }
        return total;
    }

    private static double logSumExp(float[] x, int o, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[o + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(x[o + i] - max);
        return max + Math.log(s);
    }
}
