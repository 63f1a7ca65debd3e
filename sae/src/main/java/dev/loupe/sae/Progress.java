package dev.loupe.sae;

import java.io.PrintStream;

/** A one-line progress bar on a terminal stream: steps, tokens/s, live L0, FVU, dead latents, loss, ETA. */
final class Progress {
    private static final long REDRAW_NANOS = 250_000_000L;
    private final PrintStream out;
    private final long total;
    private final long startNanos = System.nanoTime();
    private final long firstStep;
    private long lastDraw;

    Progress(PrintStream out, long firstStep, long total) {
        this.out = out;
        this.firstStep = firstStep;
        this.total = total;
    }

    void update(long step, long tokensPerStep, StepStats s, int dead, boolean last) {
        long now = System.nanoTime();
        if (!last && now - lastDraw < REDRAW_NANOS) return;
        lastDraw = now;
        double secs = (now - startNanos) / 1e9;
        long done = step - firstStep;
        double tps = done * tokensPerStep / Math.max(secs, 1e-9);
        double eta = done == 0 ? 0 : secs / done * (total - step);
        int width = 24, filled = (int) (width * step / total);
        String bar = "=".repeat(filled) + (filled < width ? ">" + " ".repeat(width - filled - 1) : "");
        out.printf("\rstep %d/%d [%s] %3d%% | %,.0f tok/s | L0 %.1f | FVU %.4f | dead %d | loss %.4g | ETA %s   ",
                step, total, bar, 100 * step / total, tps, s.l0(), s.fvu(), dead, s.loss(), clock(eta));
        if (last) out.println();
        out.flush();
    }

    private static String clock(double secs) {
        long s = Math.round(secs);
        return String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
}
