package dev.loupe.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.WeightStore;
import dev.loupe.model.hooks.ActivationCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every activation of every reference case equals PyTorch's (../shared/models/NAME/reference.torch.safetensors)
 * within 1e-4 relative (max abs error / max abs value); prints the worst error per hook.
 */
public class ReferenceParityTest {
    static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"stories260K-hf", "gpt2-tiny-random", "pythia-tiny-random", "gemma2-tiny-random", "gemma3-tiny-random",
            "qwen3-tiny-random", "qwen3-tiny-random-bf16", "mistral-tiny-random"})
    void everyHookMatchesReference(String name) throws Exception {
        HookedTransformer model = SharedModels.load(name);
        Map<String, Double> worst = new TreeMap<>();
        try (WeightStore ref = SafeTensors.open(SharedModels.path(name).resolve("reference.torch.safetensors"))) {
            int cases = 0;
            for (int c = 0; ref.contains("case" + c + ".input_ids"); c++, cases++) {
                long[] ids = ref.longs("case" + c + ".input_ids");
                int[][] tokens = {Arrays.stream(ids).mapToInt(Math::toIntExact).toArray()};
                ActivationCache cache = new ActivationCache();
                Tensor logits = model.runWithCache(tokens, List.of("*"), cache);
                String prefix = "case" + c + ".";
                int compared = 0;
                for (String key : ref.names()) {
                    if (!key.startsWith(prefix)) continue;
                    String hook = key.substring(prefix.length());
                    if (hook.startsWith("grad.") || hook.equals("loss") || hook.equals("input_ids")) continue;
                    Tensor expected = ref.tensor(key);
                    Tensor actual = hook.equals("logits") ? logits : cache.get(hook);
                    assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), "shape of " + hook);
                    worst.merge(hook.replaceFirst("blocks\\.\\d+\\.", "blocks.*."), relativeError(expected, actual, hook), Math::max);
                    compared++;
                }
                assertTrue(compared > 10, "compared only " + compared + " tensors in " + prefix);
            }
            assertTrue(cases > 0, "no reference cases in " + name);
        }
        report(name + ": worst relative error per hook", worst);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K-hf", "gpt2-tiny-random", "pythia-tiny-random", "gemma2-tiny-random", "gemma3-tiny-random",
            "qwen3-tiny-random", "qwen3-tiny-random-bf16", "mistral-tiny-random"})
    void lossAndEveryHookGradientMatchReference(String name) throws Exception {
        HookedTransformer model = SharedModels.load(name);
        Map<String, Double> worst = new TreeMap<>();
        try (WeightStore ref = SafeTensors.open(SharedModels.path(name).resolve("reference.torch.safetensors"))) {
            for (int c = 0; ref.contains("case" + c + ".input_ids"); c++) {
                long[] ids = ref.longs("case" + c + ".input_ids");
                int[][] tokens = {Arrays.stream(ids).mapToInt(Math::toIntExact).toArray()};
                GradientRun run = GradientRun.ofLoss(model, tokens, List.of("*"));
                String prefix = "case" + c + ".grad.";
                worst.merge("loss", relativeError(ref.tensor("case" + c + ".loss"), run.value(), "loss"), Math::max);
                int compared = 0;
                for (String key : ref.names()) {
                    if (!key.startsWith(prefix)) continue;
                    String hook = key.substring(prefix.length());
                    Tensor actual = run.gradients().get(hook);
                    if (actual == null) throw new AssertionError("no gradient at " + hook);
                    worst.merge("grad." + hook.replaceFirst("blocks\\.\\d+\\.", "blocks.*."),
                            relativeError(ref.tensor(key), actual, key), Math::max);
                    compared++;
                }
                assertTrue(compared > 10, "compared only " + compared + " gradients in case " + c);
            }
        }
        report(name + ": worst relative error per gradient", worst);
    }

    private static void report(String title, Map<String, Double> worst) {
        System.out.println(title);
        worst.forEach((h, e) -> System.out.printf("  %-40s %.2e%n", h, e));
        List<String> bad = new ArrayList<>();
        worst.forEach((h, e) -> {
            if (!(e <= TOLERANCE)) bad.add(h + "=" + e);
        });
        assertTrue(bad.isEmpty(), title + ": above " + TOLERANCE + ": " + bad);
    }

    /** max |a - e| / max |e| over finite entries; -inf entries (masked scores) must coincide exactly. */
    public static double relativeError(Tensor expected, Tensor actual, String what) {
        float[] e = expected.data(), a = actual.data();
        double maxErr = 0, maxAbs = 0;
        for (int i = 0; i < e.length; i++) {
            if (Float.isInfinite(e[i]) || Float.isInfinite(a[i])) {
                assertEquals(e[i], a[i], what + " infinite entry " + i);
                continue;
            }
            maxErr = Math.max(maxErr, Math.abs((double) e[i] - a[i]));
            maxAbs = Math.max(maxAbs, Math.abs(e[i]));
        }
        return maxAbs == 0 ? maxErr : maxErr / maxAbs;
    }
}
