package dev.loupe.interp.analysis;

/**
 * A clean and a corrupted prompt of equal token length, and the metric that tells their behaviour apart.
 * Patching asks which activations of the clean run, copied into the corrupted run, bring the metric back.
 */
public record PatchingProblem(int[] clean, int[] corrupted, LogitDifference metric) {
    public PatchingProblem {
        if (clean.length != corrupted.length) {
            throw new IllegalArgumentException("clean and corrupted prompts must have the same number of tokens to patch position by position: "
                    + "clean has " + clean.length + ", corrupted has " + corrupted.length);
        }
        if (clean.length == 0) throw new IllegalArgumentException("empty prompts: at least one token is needed");
        clean = clean.clone();
        corrupted = corrupted.clone();
    }

    public int positions() {
        return clean.length;
    }
}
