package dev.loupe.sae;

import dev.loupe.train.LrSchedule;
import java.nio.file.Path;

/**
 * How to train an SAE. Defaults ({@link #defaults()}) follow the published recipes at small scale.
 *
 * @param batchSize activation rows per step
 * @param steps optimizer steps
 * @param lr peak Adam learning rate
 * @param schedule learning-rate warmup and decay
 * @param coefficient sparsity weight λ (L1 for standard, L0 for jumprelu; unused by topk/batchtopk)
 * @param coefficientWarmupSteps steps over which λ rises linearly from 0
 * @param auxKCoefficient weight α of the AuxK loss (Gao et al. use 1/32)
 * @param kAux latents per token AuxK may use (Gao et al. use d_in/2)
 * @param deadAfterTokens a latent not active for this many training tokens counts as dead (for AuxK)
 * @param bandwidth JumpReLU's kernel bandwidth ε
 * @param initialThreshold JumpReLU's initial θ
 * @param bDecInit how b_dec starts: zeros, the data mean, or its geometric median
 * @param normalize scale inputs so their mean norm is √d_in while training (the scale is folded into the
 *     weights at the end, so the saved SAE reads raw activations); makes λ, θ and ε transferable between models
 * @param seed seeds initialisation and every random draw of the run
 * @param checkpoint file to write checkpoints to and resume from (null: none)
 * @param checkpointEvery steps between checkpoints
 * @param progress draw a progress bar on stderr
 */
public record TrainOptions(int batchSize, int steps, double lr, LrSchedule schedule, double coefficient, int coefficientWarmupSteps,
                           double auxKCoefficient, int kAux, long deadAfterTokens, float bandwidth, float initialThreshold,
                           BDecInit bDecInit, boolean normalize, long seed, Path checkpoint, int checkpointEvery, boolean progress) {

    public enum BDecInit { ZEROS, MEAN, GEOMETRIC_MEDIAN }

    public TrainOptions {
        if (batchSize <= 0 || steps <= 0) throw new IllegalArgumentException("batch size and steps must be positive");
        if (checkpoint != null && checkpointEvery <= 0) throw new IllegalArgumentException("checkpoint interval must be positive");
    }

    /** Options with defaults for {@code steps} steps, to adjust with the builder's setters. */
    public static Builder builder(int steps) {
        return new Builder(steps);
    }

    /** Mutable collector of options; every field starts at a published-recipe default. */
    public static final class Builder {
        public int batchSize = 4096, steps, coefficientWarmupSteps, kAux = 256, checkpointEvery = 500;
        public double lr = 4e-4, coefficient = 1.0, auxKCoefficient = 1.0 / 32;
        public LrSchedule schedule;
        public long deadAfterTokens = 1_000_000, seed = 42;
        public float bandwidth = 0.001f, initialThreshold = 0.001f;
        public BDecInit bDecInit = BDecInit.GEOMETRIC_MEDIAN;
        public boolean normalize = true, progress;
        public Path checkpoint;

        Builder(int steps) {
            this.steps = steps;
            this.coefficientWarmupSteps = steps / 20;
            this.schedule = new LrSchedule(Math.min(100, steps / 10), steps - steps / 5, steps, LrSchedule.Decay.LINEAR, 0.0);
        }

        public TrainOptions build() {
            return new TrainOptions(batchSize, steps, lr, schedule, coefficient, coefficientWarmupSteps, auxKCoefficient, kAux, deadAfterTokens,
                    bandwidth, initialThreshold, bDecInit, normalize, seed, checkpoint, checkpointEvery, progress);
        }
    }
}
