package dev.loupe.model;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The one progress bar of Loupe's long-running commands (training, collection, shuffling, evaluation, feature
 * scans, means): a single line on a terminal stream, redrawn at most four times a second, with the fraction done,
 * how much in the job's own unit and how fast, time left, and live figures the job supplies (loss, L0, ...).
 * A resumed job passes what was already done, so that rate and time left count this run's work only.
 */
public final class ProgressBar {
    private static final long REDRAW_NANOS = 250_000_000L;
    private static final int WIDTH = 24;
    private final String label;
    private final String unit;
    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private final long startDone;
    private long lastDraw;
    private long done;
    private double fraction = Double.NaN;
    private double startFraction = Double.NaN;
    private Supplier<String> detail;

    /**
     * @param label     what runs ("collect", "sae eval", ...)
     * @param unit      what {@code done} counts ("tok", "rows", "steps", ...)
     * @param startDone units already done before this run (a resumed job): excluded from the rate
     */
    public ProgressBar(String label, String unit, long startDone, PrintStream out) {
        this.label = label;
        this.unit = unit;
        this.startDone = startDone;
        this.done = startDone;
        this.out = out;
    }

    /** A bar that shows nothing: for library calls whose caller wants no output. */
    public static ProgressBar silent() {
        return new ProgressBar("", "", 0, new PrintStream(OutputStream.nullOutputStream()));
    }

    /** Records progress: {@code done} units so far, {@code fraction} of the whole job (0..1, or NaN if unknown). */
    public void update(long done, double fraction) {
        update(done, fraction, null);
    }

    /** As {@link #update(long, double)}, with live figures, asked for only when the line is redrawn. */
    public void update(long done, double fraction, Supplier<String> detail) {
        this.done = done;
        this.fraction = fraction;
        this.detail = detail;
        if (Double.isNaN(startFraction)) startFraction = fraction;
        long now = System.nanoTime();
        if (now - lastDraw < REDRAW_NANOS) return;
        lastDraw = now;
        draw(fraction, now);
    }

    /** Draws the final state (with the last figures given) and ends the line. */
    public void finish() {
        draw(Double.isNaN(fraction) ? Double.NaN : 1.0, System.nanoTime());
        out.println();
        out.flush();
    }

    /** Units per second since this run started. */
    public double rate() {
        double s = (System.nanoTime() - startNanos) / 1e9;
        return s <= 0 ? 0 : (done - startDone) / s;
    }

    private void draw(double fraction, long now) {
        double rate = rate();
        int fill = Double.isNaN(fraction) ? 0 : (int) Math.round(Math.min(1, fraction) * WIDTH);
        String eta = "?";
        if (!Double.isNaN(fraction) && fraction > 0 && rate > 0) {
            double elapsed = (now - startNanos) / 1e9;
            double gained = fraction - startFraction;
            if (gained > 0) eta = duration(elapsed * (1 - fraction) / gained);
        }
        String figures = detail == null ? "" : "  " + detail.get();
        out.printf(Locale.ROOT, "\r%s [%s%s] %5.1f%% %s %s  %s %s/s%s  ETA %s   ", label, "#".repeat(fill), " ".repeat(WIDTH - fill),
                Double.isNaN(fraction) ? 0 : 100 * fraction, human(done), unit, human(Math.round(rate)), unit, figures, eta);
        out.flush();
    }

    /** {@code n} in at most four significant characters and a suffix: 1234, 12.3k, 1.23M, 1.23G. */
    private static String human(long n) {
        if (n >= 1_000_000_000L) return String.format(Locale.ROOT, "%.2fG", n / 1e9);
        if (n >= 1_000_000L) return String.format(Locale.ROOT, "%.2fM", n / 1e6);
        if (n >= 10_000L) return String.format(Locale.ROOT, "%.1fk", n / 1e3);
        return Long.toString(n);
    }

    private static String duration(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60) : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
    }
}
