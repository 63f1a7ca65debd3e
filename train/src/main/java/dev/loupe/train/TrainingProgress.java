package dev.loupe.train;

import dev.loupe.model.ProgressBar;
import java.io.PrintStream;
import java.util.Locale;

/** Shows a language-model training run on the shared {@link ProgressBar}: steps, time left, smoothed loss, tokens/s. */
public final class TrainingProgress implements LmTrainer.Listener {
    private final PrintStream out;
    private ProgressBar bar;
    private double smoothedLoss = Double.NaN;

    public TrainingProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public void step(long step, long total, double loss, double tokensPerSecond) {
        if (bar == null) bar = new ProgressBar("train-lm", "steps", step - 1, out); // a resumed run starts past step 1
        smoothedLoss = Double.isNaN(smoothedLoss) ? loss : 0.9 * smoothedLoss + 0.1 * loss;
        double shownLoss = smoothedLoss;
        bar.update(step, (double) step / total, () -> String.format(Locale.ROOT, "loss %.4f  %,.0f tok/s", shownLoss, tokensPerSecond));
        if (step == total) bar.finish();
    }
}
