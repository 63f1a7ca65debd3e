package dev.loupe.train;

/**
 * Loupe's one learning-rate schedule (language models, SAEs, transcoders): linear warmup from 0 to the peak over
 * {@code warmup} steps, the peak until {@code decayStart}, then linear or cosine decay to {@code peak·minFraction} at
 * {@code total} steps ({@link Decay#CONSTANT}: no decay).
 */
public record LrSchedule(long warmup, long decayStart, long total, Decay decay, double minFraction) {
    public enum Decay { CONSTANT, LINEAR, COSINE }

    /** Warmup, then cosine decay over every remaining step (the language-model recipe). */
    public static LrSchedule cosine(long warmup, long total, double minFraction) {
        return new LrSchedule(warmup, warmup, total, Decay.COSINE, minFraction);
    }

    /** Learning rate for step {@code step} (0-based) of a run whose peak rate is {@code peak}. */
    public double at(double peak, long step) {
        if (step < warmup) return peak * (step + 1) / warmup;
        if (decay == Decay.CONSTANT || step < decayStart) return peak;
        double progress = total <= decayStart ? 1 : Math.min(1, (double) (step - decayStart) / (total - decayStart));
        double shape = decay == Decay.LINEAR ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
        double min = peak * minFraction;
        return min + (peak - min) * shape;
    }

    /** Linear warmup of a coefficient (e.g. an SAE's sparsity weight) over {@code steps}: its multiplier at {@code step}. */
    public static double warmupFactor(long step, long steps) {
        return steps <= 0 ? 1 : Math.min(1, (step + 1) / (double) steps);
    }
}
