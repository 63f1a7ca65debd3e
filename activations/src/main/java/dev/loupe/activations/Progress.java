package dev.loupe.activations;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar on stderr: fraction done, throughput, ETA; redrawn at most four times a second. */
public final class Progress {
    private final String label;
    private final String unit;
    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private final long startDone;
    private long lastDraw;
    private long done;
    private double startFraction = Double.NaN;

    /** @param startDone units already done before this run (a resumed job): excluded from the rate */
    public Progress(String label, String unit, long startDone, PrintStream out) {
        this.label = label;
        this.unit = unit;
        this.startDone = startDone;
        this.done = startDone;
        this.out = out;
    }

    /** Records progress: {@code done} units so far, {@code fraction} of the whole job (0..1, or NaN if unknown). */
    public void update(long done, double fraction) {
        this.done = done;
        if (Double.isNaN(startFraction)) startFraction = fraction;
        long now = System.nanoTime();
        if (now - lastDraw < 250_000_000L) return;
        lastDraw = now;
        draw(fraction, now);
    }

    /** Draws the final state and ends the line. */
    public void finish() {
        draw(1.0, System.nanoTime());
        out.println();
    }

    /** Units per second since this run started. */
    public double rate() {
        double s = (System.nanoTime() - startNanos) / 1e9;
        return s <= 0 ? 0 : (done - startDone) / s;
    }

    private void draw(double fraction, long now) {
        double rate = rate();
        int width = 24;
        int fill = Double.isNaN(fraction) ? 0 : (int) Math.round(Math.min(1, fraction) * width);
        String eta = "?";
        if (!Double.isNaN(fraction) && fraction > 0 && rate > 0) {
            double elapsed = (now - startNanos) / 1e9;
            double gained = fraction - startFraction;
            if (gained > 0) eta = duration(elapsed * (1 - fraction) / gained);
        }
        out.printf(Locale.ROOT, "\r%s [%s%s] %5.1f%% %s %s  %s %s/s  ETA %s   ", label, "#".repeat(fill), " ".repeat(width - fill),
                Double.isNaN(fraction) ? 0 : 100 * fraction, human(done), unit, human((long) rate), unit, eta);
        out.flush();
    }

    static String human(long n) {
        if (n >= 1_000_000_000L) return String.format(Locale.ROOT, "%.2fG", n / 1e9);
        if (n >= 1_000_000L) return String.format(Locale.ROOT, "%.2fM", n / 1e6);
        if (n >= 10_000L) return String.format(Locale.ROOT, "%.1fk", n / 1e3);
        return Long.toString(n);
    }

    static String duration(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60) : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
    }
}
