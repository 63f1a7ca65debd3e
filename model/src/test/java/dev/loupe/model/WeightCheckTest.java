package dev.loupe.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The structural facts of a config are checked against the weights, and errors name the tensor. */
class WeightCheckTest {
    private static String error(TransformerConfig cfg, TransformerWeights w) {
        return assertThrows(IllegalArgumentException.class, () -> new HookedTransformer(cfg, w)).getMessage();
    }

    @Test
    void partsTheConfigDoesNotUseAreRefused() {
        HookedTransformer qwen = SharedModels.load("qwen3-tiny-random");
        String m = error(qwen.config().toBuilder().qkNorm(false).build(), qwen.weights());
        assertTrue(m.contains("'blocks.0.attn.q_norm.gain' is present") && m.contains("q/k norms"), m);
        HookedTransformer gemma = SharedModels.load("gemma2-tiny-random");
        String g = error(gemma.config().toBuilder().sublayerPostNorms(false).build(), gemma.weights());
        assertTrue(g.contains("'blocks.0.ln1_post.gain' is present"), g);
    }

    @Test
    void missingPartsAndWrongShapesNameTheTensor() {
        HookedTransformer llama = SharedModels.load("mistral-tiny-random");
        String m = error(llama.config().toBuilder().qkNorm(true).build(), llama.weights());
        assertTrue(m.contains("'blocks.0.attn.q_norm.gain' is missing"), m);
        String d = error(llama.config().toBuilder().dHead(32).build(), llama.weights());
        assertTrue(d.contains("'blocks.0.attn.qkv.weight' has shape [128, 64]") && d.contains("[256, 64]"), d);
    }
}
