package dev.loupe.sae;

/**
 * Learning-rate and sparsity-coefficient schedules as functions of the step: linear warmup, a constant
 * middle, then (over the last {@code decaySteps}) linear or cosine decay to {@code minFraction} of the peak.
 */
public record Schedule(int totalSteps, int warmupSteps, int decaySteps, Decay decay, double minFraction) {
    public enum Decay { CONSTANT, LINEAR, COSINE }

    /** Multiplier of the peak learning rate at {@code step} (0-based). */
    public double lrFactor(long step) {
        if (warmupSteps > 0 && step < warmupSteps) return (step + 1) / (double) warmupSteps;
        long decayStart = totalSteps - decaySteps;
        if (decay == Decay.CONSTANT || decaySteps <= 0 || step < decayStart) return 1;
        double t = Math.min(1, (step - decayStart + 1) / (double) decaySteps);
        double shape = decay == Decay.LINEAR ? 1 - t : 0.5 * (1 + Math.cos(Math.PI * t));
        return minFraction + (1 - minFraction) * shape;
    }

    /** Linear warmup of a coefficient (the L1/L0 weight) over {@code steps}. */
    public static double warmup(long step, int steps) {
        return steps <= 0 ? 1 : Math.min(1, (step + 1) / (double) steps);
    }
}
