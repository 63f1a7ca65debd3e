package dev.loupe.train;

/**
 * Linear warmup from 0 to {@code peak} over {@code warmup} steps, then cosine decay to
 * {@code peak·minFraction} at {@code total} steps.
 */
public record LrSchedule(double peak, long warmup, long total, double minFraction) {
    /** Learning rate for step {@code step} (0-based). */
    public double at(long step) {
        if (step < warmup) return peak * (step + 1) / warmup;
        double progress = total <= warmup ? 1 : Math.min(1, (double) (step - warmup) / (total - warmup));
        double min = peak * minFraction;
        return min + (peak - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
