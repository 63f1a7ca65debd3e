package dev.loupe.train;

/**
 * The settings of one language-model training run. Together with the dataset they determine the result
 * bit for bit; {@link #fingerprint} guards a checkpoint against being resumed under other settings.
 *
 * @param tokens training tokens; the run takes ceil(tokens / (batch·context)) steps
 * @param lr peak learning rate (linear warmup over {@code warmup} steps, cosine decay to lr·{@code minLrFraction})
 * @param weightDecay AdamW decoupled decay, applied to the weight matrices of attention and MLP only
 * @param clip maximum global gradient norm
 * @param checkpointEvery steps between checkpoints (one is also written at the end)
 * @param logEvery steps per loss-log entry
 * @param repeatFraction fraction of sequences that are a passage followed by itself (see {@link PackedDataset})
 */
public record LmRun(GptShape shape, int batch, long tokens, double lr, long seed, long warmup, double minLrFraction,
                    double weightDecay, double beta1, double beta2, double clip, int checkpointEvery, int logEvery,
                    double repeatFraction) {
    public LmRun {
        if (batch <= 0 || tokens <= 0 || checkpointEvery <= 0 || logEvery <= 0) {
            throw new IllegalArgumentException("batch, tokens, checkpoint interval and log interval must be positive");
        }
    }

    /** Defaults for everything but the shape, batch, tokens, learning rate and seed: GPT-2/nanoGPT practice. */
    public static LmRun of(GptShape shape, int batch, long tokens, double lr, long seed) {
        long steps = steps(tokens, batch, shape.nCtx());
        return new LmRun(shape, batch, tokens, lr, seed, Math.max(1, Math.min(200, steps / 10)), 0.1, 0.1, 0.9, 0.95, 1.0,
                100, Math.max(1, (int) Math.min(50, steps / 20)), 0);
    }

    public long steps() {
        return steps(tokens, batch, shape.nCtx());
    }

    public int tokensPerStep() {
        return batch * shape.nCtx();
    }

    private static long steps(long tokens, int batch, int context) {
        return (tokens + (long) batch * context - 1) / ((long) batch * context);
    }

    /** Every setting that affects the weights, plus a description of the data, as one line. */
    public String fingerprint(String data) {
        return toString().replace(", checkpointEvery=" + checkpointEvery, "") + " data=" + data;
    }
}
