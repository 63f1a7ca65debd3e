package dev.loupe.train;

import dev.loupe.core.Ops;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.generate.Generator;
import dev.loupe.model.generate.Sampling;
import dev.loupe.model.hooks.Hooks;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How readable a small language model's text is, in numbers: next-token loss on held-out Brown documents (the
 * 30 whose ids end in 01 or 02, which the default model's last training run left out), and how repetitive its
 * continuations of fixed prompts are, greedy and sampled. Repetition is rep-4: the fraction of token 4-grams of a
 * continuation that already occurred earlier in it (0 for text that never repeats itself, near 1 for a loop).
 */
final class TextQuality {
    /** Brown documents held out of the default model's training: every genre's first two (ca01, ca02, …, cr02). */
    static final Pattern HELD_OUT_IDS = Pattern.compile("c.0[12]");
    static final List<String> PROMPTS = List.of("She looked at him and", "The jury said that", "In the morning the",
            "The President of the United States", "He opened the door and", "The church was", "It was a long time before",
            "The results of the study show that");
    static final int CONTINUATION = 48;
    /** The sampled continuations: temperature 0.8, nucleus 0.95, seed 0 (row i uses seed i). */
    static final Sampling SAMPLED = new Sampling(0.8, 0, 0.95, 0);

    /** Held-out loss (nats/token), mean rep-4 of the greedy and the sampled continuations, and the continuations. */
    record Result(double heldOutLoss, long heldOutTokens, double greedyRep4, double sampledRep4, List<String> greedy, List<String> sampled) {}

    private TextQuality() {}

    static Result measure(LoadedModel m, Path brown) throws IOException {
        int eot = m.tokenizer().eosId().orElseThrow();
        int[] tokens = PackedDataset.tokenize(Documents.byId(brown, HELD_OUT_IDS, true), m.tokenizer(), eot);
        int ctx = m.transformer().config().nCtx(), n = tokens.length / ctx, batch = 16;
        double lossSum = 0;
        for (int c = 0; c < n; c += batch) {
            int[][] rows = new int[Math.min(batch, n - c)][];
            for (int j = 0; j < rows.length; j++) rows[j] = java.util.Arrays.copyOfRange(tokens, (c + j) * ctx, (c + j + 1) * ctx);
            lossSum += Ops.nextTokenLoss(m.transformer().forward(rows), rows).data()[0] * rows.length;
        }
        List<int[]> greedy = continuations(m, Sampling.GREEDY), sampled = continuations(m, SAMPLED);
        return new Result(lossSum / n, (long) n * (ctx - 1), meanRep4(greedy), meanRep4(sampled), decode(m, greedy), decode(m, sampled));
    }

    private static List<int[]> continuations(LoadedModel m, Sampling sampling) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) {
            Sampling s = new Sampling(sampling.temperature(), sampling.topK(), sampling.topP(), sampling.seed() + i);
            int[] next = new Generator(m.transformer()).generate(new int[][] {m.tokens(PROMPTS.get(i))}, CONTINUATION, s, OptionalInt.empty(),
                    Hooks.none(m.transformer().hooks()), null)[0];
            out.add(next);
        }
        return out;
    }

    private static List<String> decode(LoadedModel m, List<int[]> continuations) {
        return continuations.stream().map(ids -> m.tokenizer().decode(ids)).toList();
    }

    private static double meanRep4(List<int[]> continuations) {
        return continuations.stream().mapToDouble(TextQuality::rep4).average().orElseThrow();
    }

    /** The fraction of {@code ids}' 4-grams that occurred earlier in {@code ids}. */
    static double rep4(int[] ids) {
        Set<List<Integer>> seen = new HashSet<>();
        int total = 0, repeated = 0;
        for (int i = 0; i + 4 <= ids.length; i++) {
            total++;
            if (!seen.add(List.of(ids[i], ids[i + 1], ids[i + 2], ids[i + 3]))) repeated++;
        }
        return total == 0 ? 0 : (double) repeated / total;
    }

    /** Prints the figures for each model folder given: {@code TextQuality MODEL... } (brown.jsonl from ../shared/data). */
    public static void main(String[] args) throws Exception {
        Path brown = dev.loupe.model.SharedModels.data("brown.jsonl");
        for (String dir : args) {
            Result r = measure(dev.loupe.model.ModelLoader.load(dir, null), brown);
            System.out.printf("%s: held-out loss %.4f nats/token over %,d tokens; rep-4 greedy %.3f, sampled %.3f%n", dir, r.heldOutLoss(),
                    r.heldOutTokens(), r.greedyRep4(), r.sampledRep4());
            for (int i = 0; i < PROMPTS.size(); i++) {
                System.out.printf("  greedy  | %s|%s%n  sampled | %s|%s%n", PROMPTS.get(i), r.greedy().get(i).replace("\n", "↵"), PROMPTS.get(i),
                        r.sampled().get(i).replace("\n", "↵"));
            }
        }
    }
}
