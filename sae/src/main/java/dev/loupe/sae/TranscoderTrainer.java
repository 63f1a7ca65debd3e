package dev.loupe.sae;

import dev.loupe.model.ProgressBar;
import dev.loupe.train.AdamW;
import dev.loupe.train.LrSchedule;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Map;

/**
 * Trains a transcoder set (PLT, skip transcoder or CLT) with the SAE trainer's machinery: Adam with the same
 * schedules and sparsity-coefficient warmup, unit-norm decoder rows where the activation's architecture keeps
 * them (a CLT feature's row over all its target layers), per-layer input and output normalisation to mean norm
 * √d_model (folded into the weights at the end), dead-feature tracking, the progress bar and the checkpoint
 * format; a killed run resumed from its checkpoint ends bit-identical to an uninterrupted one.
 *
 * <p>The source's rows are {@link TranscoderSpec#rowHooks()} side by side: every layer's MLP input, then every
 * layer's MLP output ({@link StoreSource} over a store collected with those hooks, or {@link LiveModelSource}).
 */
public final class TranscoderTrainer {
    private final TranscoderSpec spec;
    private final TrainOptions opt;
    private final ActivationSource source;
    private SaeTrainer.StepListener listener = (s, st) -> {};

    public TranscoderTrainer(TranscoderSpec spec, TrainOptions opt, ActivationSource source) {
        int want = 2 * spec.nLayers() * spec.dModel();
        if (source.dIn() != want) {
            throw new IllegalArgumentException("transcoder training reads rows of " + spec.rowHooks() + " (width " + want + " = 2 × " + spec.nLayers()
                    + " layers × d_model " + spec.dModel() + ") but the source's rows have width " + source.dIn());
        }
        this.spec = spec;
        this.opt = opt;
        this.source = source;
    }

    public TranscoderTrainer onStep(SaeTrainer.StepListener l) {
        this.listener = l;
        return this;
    }

    /** Trains (resuming from the checkpoint file when it exists); the result reads raw MLP inputs and predicts raw outputs. */
    public TranscoderWeights train() throws IOException {
        SaeArchitecture arch = spec.architecture();
        Rng rng = new Rng(opt.seed());
        TranscoderWeights w = TranscoderWeights.initialize(spec, rng, arch.initialDecoderNorm(), opt.initialThreshold());
        TrainState st = opt.checkpoint() != null && Files.exists(opt.checkpoint())
                ? TrainCheckpoint.read(opt.checkpoint(), blank(w), opt, source)
                : start(w, rng);
        Map<String, float[]> params = st.params;
        TranscoderWeights grads = TranscoderWeights.zeros(spec);
        Map<String, float[]> gradByName = grads.parameters();
        int b = opt.batchSize(), nl = spec.nLayers(), d = spec.dModel(), total = nl * spec.dTranscoder();
        float[] row = new float[b * 2 * nl * d], x = new float[b * nl * d], y = new float[b * nl * d];
        float[][] pre = new float[nl][b * spec.dTranscoder()];
        boolean[] fired = new boolean[total], dead = new boolean[total];
        ProgressBar bar = opt.progress() ? new ProgressBar("transcoder train", "tok", st.step * b, System.err) : null;
        while (st.step < opt.steps()) {
            source.next(row, b);
            split(row, b, st.scales, x, y);
            float coef = (float) (opt.coefficient() * LrSchedule.warmupFactor(st.step, opt.coefficientWarmupSteps()));
            int numDead = st.deadMask(opt.deadAfterTokens(), dead);
            Arrays.fill(fired, false);
            StepStats stats = TranscoderStep.run(w, x, y, b, coef, opt.bandwidth(), grads, fired, pre);
            if (arch.unitNormDecoder()) for (int i = 0; i < nl; i++) SaeTrainer.projectOutRadial(w.wDec[i], grads.wDec[i], w.width(i));
            st.adam.step(params, gradByName, opt.schedule().at(opt.lr(), st.step));
            if (arch.unitNormDecoder()) for (int i = 0; i < nl; i++) SaeTrainer.normalizeRows(w.wDec[i], w.width(i));
            if (arch.trainsThreshold()) for (float[] t : w.threshold) for (int j = 0; j < t.length; j++) t[j] = Math.max(t[j], 0f);
            st.advance(b, fired);
            if (bar != null) bar.update(st.step * b, (double) st.step / opt.steps(), () -> stats.figures(numDead));
            listener.afterStep(st.step, stats);
            TrainCheckpoint.writeIfDue(st, opt, source);
        }
        if (bar != null) bar.finish();
        TranscoderWeights out = w.copy();
        out.foldScales(st.scales);
        return out;
    }

    /** Splits source rows [in_0.., out_0..] into x and y, each layer scaled by its factor. */
    private void split(float[] row, int rows, float[] scales, float[] x, float[] y) {
        int nl = spec.nLayers(), d = spec.dModel(), half = nl * d;
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < nl; t++) {
                float sIn = scales[t], sOut = scales[nl + t];
                for (int c = 0; c < d; c++) {
                    x[r * half + t * d + c] = row[r * 2 * half + t * d + c] * sIn;
                    y[r * half + t * d + c] = row[r * 2 * half + half + t * d + c] * sOut;
                }
            }
        }
    }

    /** A state of {@code w} at step 0, for a checkpoint to load into. */
    private TrainState blank(TranscoderWeights w) {
        Map<String, float[]> p = w.parameters();
        float[] scales = new float[2 * spec.nLayers()];
        Arrays.fill(scales, 1f);
        return new TrainState(spec.describe(), p, AdamW.forArrays(p, 0.9, 0.999, 1e-8), 0, 0, scales, new long[spec.nLayers() * spec.dTranscoder()], 0);
    }

    /** A fresh run: per-layer scales and b_dec (mean of the scaled outputs, unless zeros) from the first batch. */
    private TrainState start(TranscoderWeights w, Rng rng) throws IOException {
        int b = opt.batchSize(), nl = spec.nLayers(), d = spec.dModel(), half = nl * d;
        float[] row = new float[b * 2 * half];
        source.next(row, b);
        TrainState st = blank(w);
        if (opt.normalize()) {
            for (int t = 0; t < 2 * nl; t++) {
                double sum = 0;
                for (int r = 0; r < b; r++) sum += Math.sqrt(Vec.sumSquares(row, r * 2 * half + t * d, d));
                st.scales[t] = sum == 0 ? 1f : (float) (Math.sqrt(d) / (sum / b));
            }
        }
        float[] x = new float[b * half], y = new float[b * half];
        split(row, b, st.scales, x, y);
        if (opt.bDecInit() != TrainOptions.BDecInit.ZEROS) System.arraycopy(GeometricMedian.mean(y, b, half), 0, w.bDec, 0, half);
        st.rngState = rng.state();
        return st;
    }
}
