package dev.loupe.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.loupe.model.hooks.ActivationCache;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same input gives the same bits at every hook, however often it runs (the JIT's compiled kernels must
 * agree with the interpreter's) and whichever path computes attention (fused or materialised for gradients).
 */
class DeterminismTest {
    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny-random", "stories260K-hf", "gemma2-tiny-random"})
    void repeatedRunsAreBitIdentical(String name) {
        HookedTransformer m = SharedModels.load(name);
        int[][] tokens = {{1, 7, 99, 23}, {1, 300, 2, 45}};
        ActivationCache first = new ActivationCache();
        m.runWithCache(tokens, List.of("*"), first);
        for (int rep = 0; rep < 40; rep++) {
            ActivationCache again = new ActivationCache();
            m.runWithCache(tokens, List.of("blocks.*.hook_resid_post", "blocks.*.attn.hook_z"), again);
            for (String hook : again.names()) assertArrayEquals(first.get(hook).data(), again.get(hook).data(), hook + " at repetition " + rep);
        }
        GradientRun grad = GradientRun.ofLoss(m, tokens, List.of("*"));
        for (String hook : first.names()) assertArrayEquals(first.get(hook).data(), grad.activations().get(hook).data(), hook + " with gradients");
    }
}
