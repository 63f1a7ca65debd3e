package dev.loupe.sae;

import dev.loupe.core.Parallel;
import dev.loupe.model.ProgressBar;
import dev.loupe.train.AdamW;
import dev.loupe.train.LrSchedule;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Map;

/**
 * Trains an SAE from an {@link ActivationSource}: Adam with learning-rate warmup/decay, sparsity-coefficient
 * warmup, unit-norm decoder rows where the architecture needs them (the gradient's component along each row
 * removed before the step, rows renormalised after), dead-latent tracking for AuxK, a progress bar, and
 * checkpoints. Deterministic for a seed: a run killed at any point and resumed from its last checkpoint
 * ends with weights identical, bit for bit, to an uninterrupted run.
 */
public final class SaeTrainer {
    /** Called after every step (progress reporting, tests). */
    @FunctionalInterface
    public interface StepListener {
        void afterStep(long step, StepStats stats);
    }

    private final SaeConfig cfg;
    private final TrainOptions opt;
    private final ActivationSource source;
    private StepListener listener = (s, st) -> {};

    public SaeTrainer(SaeConfig cfg, TrainOptions opt, ActivationSource source) {
        if (source.dIn() != cfg.dIn()) {
            throw new IllegalArgumentException("SAE d_in=" + cfg.dIn() + " does not match the activations at " + cfg.hookName()
                    + ", which have width " + source.dIn());
        }
        this.cfg = cfg;
        this.opt = opt;
        this.source = source;
    }

    public SaeTrainer onStep(StepListener l) {
        this.listener = l;
        return this;
    }

    /** Trains (resuming from the checkpoint file when it exists) and returns the SAE, reading raw activations. */
    public Sae train() throws IOException {
        Rng rng = new Rng(opt.seed());
        Sae sae = SaeArchitectures.create(cfg, rng, opt.initialThreshold());
        TrainState st = opt.checkpoint() != null && Files.exists(opt.checkpoint())
                ? TrainCheckpoint.read(opt.checkpoint(), blank(sae), opt, source)
                : start(sae, rng);
        SaeArchitecture arch = sae.architecture();
        Map<String, float[]> params = trainable(sae);
        Grads grads = Grads.zerosLike(sae);
        Map<String, float[]> gradByName = grads.byName();
        int b = opt.batchSize(), n = cfg.dSae();
        float[] batch = new float[b * cfg.dIn()];
        float[] pre = new float[b * n];
        boolean[] fired = new boolean[n];
        boolean[] dead = new boolean[n];
        ProgressBar bar = opt.progress() ? new ProgressBar("sae train", "tok", st.step * b, System.err) : null;
        while (st.step < opt.steps()) {
            source.next(batch, b);
            scale(batch, st.scales[0]);
            float coef = (float) (opt.coefficient() * LrSchedule.warmupFactor(st.step, opt.coefficientWarmupSteps()));
            int numDead = st.deadMask(opt.deadAfterTokens(), dead);
            Arrays.fill(fired, false);
            StepStats stats = TrainStep.run(sae, batch, b, coef, opt.bandwidth(), numDead > 0 ? dead : null, (float) opt.auxKCoefficient(),
                    Math.min(opt.kAux(), n), grads, fired, pre);
            if (!arch.trainsThreshold() && grads.threshold() != null) Arrays.fill(grads.threshold(), 0f);
            if (arch.unitNormDecoder()) projectOutRadial(sae.wDec, grads.wDec(), cfg.dIn());
            st.adam.step(params, gradByName, opt.schedule().at(opt.lr(), st.step));
            if (arch.unitNormDecoder()) normalizeRows(sae.wDec, cfg.dIn());
            if (arch.trainsThreshold()) for (int j = 0; j < n; j++) sae.threshold[j] = Math.max(sae.threshold[j], 0f);
            st.advance(b, fired);
            if (bar != null) bar.update(st.step * b, (double) st.step / opt.steps(), () -> stats.figures(numDead));
            listener.afterStep(st.step, stats);
            TrainCheckpoint.writeIfDue(st, opt, source);
        }
        if (bar != null) bar.finish();
        Sae out = sae.withConfig(cfg);
        out.foldInputScale(st.scales[0]);
        return out;
    }

    /** Parameters the optimizer updates (BatchTopK's threshold is tracked, not trained). */
    static Map<String, float[]> trainable(Sae sae) {
        Map<String, float[]> p = sae.parameters();
        if (!sae.architecture().trainsThreshold()) p.remove("threshold");
        return p;
    }

    /** A state of {@code sae} at step 0, for a checkpoint to load into. */
    static TrainState blank(Sae sae) {
        return new TrainState(SaeLensFormat.configJson(sae.config()), sae.parameters(), AdamW.forArrays(trainable(sae), 0.9, 0.999, 1e-8), 0, 0,
                new float[] {1f}, new long[sae.dSae()], 0);
    }

    /** A fresh run of the freshly initialised {@code sae}: input scale and b_dec from the first batch. */
    private TrainState start(Sae sae, Rng rng) throws IOException {
        int b = opt.batchSize(), d = cfg.dIn();
        float[] first = new float[b * d];
        source.next(first, b);
        float scale = opt.normalize() ? inputScale(first, b, d) : 1f;
        scale(first, scale);
        float[] bDec = switch (opt.bDecInit()) {
            case ZEROS -> new float[d];
            case MEAN -> GeometricMedian.mean(first, b, d);
            case GEOMETRIC_MEDIAN -> GeometricMedian.of(first, Math.min(b, 4096), d, 100, 1e-5);
        };
        System.arraycopy(bDec, 0, sae.bDec, 0, d);
        TrainState st = blank(sae);
        st.scales[0] = scale;
        st.rngState = rng.state();
        return st;
    }

    /** √d / mean row norm: after scaling, rows have mean norm √d (SAELens's expected_average_only_in). */
    static float inputScale(float[] x, int rows, int d) {
        double sum = 0;
        for (int r = 0; r < rows; r++) sum += Math.sqrt(Vec.sumSquares(x, r * d, d));
        double mean = sum / rows;
        return mean == 0 ? 1f : (float) (Math.sqrt(d) / mean);
    }

    private static void scale(float[] x, float s) {
        if (s != 1f) for (int i = 0; i < x.length; i++) x[i] *= s;
    }

    /** g_j -= (g_j · w_j) w_j for unit rows w_j: keeps the step tangent to the unit sphere. */
    static void projectOutRadial(float[] w, float[] g, int d) {
        Parallel.forRange(w.length / d, 64, (a, b) -> {
            for (int j = a; j < b; j++) {
                float dot = Vec.dot(g, j * d, w, j * d, d);
                if (dot != 0) Vec.axpy(-dot, w, j * d, g, j * d, d);
            }
        });
    }

    static void normalizeRows(float[] w, int d) {
        Parallel.forRange(w.length / d, 64, (a, b) -> {
            for (int j = a; j < b; j++) {
                float norm = (float) Math.sqrt(Vec.sumSquares(w, j * d, d));
                if (norm > 0) for (int i = 0; i < d; i++) w[j * d + i] /= norm;
            }
        });
    }
}
