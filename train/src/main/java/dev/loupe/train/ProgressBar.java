package dev.loupe.train;

import java.io.PrintStream;

/** A one-line progress bar for a terminal's stderr: steps, loss, tokens/s and time left, redrawn at most 4 times a second. */
public final class ProgressBar implements LmTrainer.Listener {
    private static final int WIDTH = 24;
    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private long lastDraw;
    private long firstStep = -1;
    private double smoothedLoss = Double.NaN;

    public ProgressBar(PrintStream out) {
        this.out = out;
    }

    @Override
    public void step(long step, long total, double loss, double tokensPerSecond) {
        if (firstStep < 0) firstStep = step - 1;
        smoothedLoss = Double.isNaN(smoothedLoss) ? loss : 0.9 * smoothedLoss + 0.1 * loss;
        long now = System.nanoTime();
        if (now - lastDraw < 250_000_000L && step != total) return;
        lastDraw = now;
        double perStep = (now - startNanos) / 1e9 / (step - firstStep);
        long eta = Math.round(perStep * (total - step));
        int filled = (int) (WIDTH * step / total);
        out.printf("\r[%s%s] %d/%d loss %.4f %,.0f tok/s ETA %d:%02d ", "=".repeat(filled), " ".repeat(WIDTH - filled), step, total,
                smoothedLoss, tokensPerSecond, eta / 60, eta % 60);
        if (step == total) out.println();
        out.flush();
    }
}
