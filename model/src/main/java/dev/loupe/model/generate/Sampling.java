package dev.loupe.model.generate;

/**
 * How to pick each next token.
 *
 * @param temperature 0 for greedy (argmax); otherwise logits are divided by it before softmax
 * @param topK keep only the k most likely tokens (0 = all)
 * @param topP keep the smallest set of most likely tokens whose probability reaches p (1 = all)
 * @param seed random seed; the same seed, prompt and model give the same tokens
 */
public record Sampling(double temperature, int topK, double topP, long seed) {
    public static final Sampling GREEDY = new Sampling(0, 0, 1, 0);

    public Sampling {
        if (temperature < 0 || Double.isNaN(temperature)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
    }
}
