package dev.loupe.circuits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.WeightStore;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.Transcoders;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The unpruned attribution graph of {@code circuits-tiny} (gpt2-tiny-random with two random per-layer transcoder
 * sets) against the brute-force PyTorch reference, which takes every row by its own backward pass.
 */
class CircuitsTinyReferenceTest {

    static int[] promptIds() throws Exception {
        var node = Json.MAPPER.readTree(SharedModels.path("circuits-tiny/prompt.json").toFile()).get("ids");
        int[] ids = new int[node.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = node.get(i).asInt();
        return ids;
    }

    static Transcoders set(String name) throws Exception {
        return CircuitTracerFormat.read(SharedModels.path("circuits-tiny/" + name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"plt-jumprelu", "plt-skip"})
    void unprunedGraphMatchesTheReference(String name) throws Exception {
        HookedTransformer model = SharedModels.load("gpt2-tiny-random");
        int[] ids = promptIds();
        // a batch size that does not divide the feature count, so batches mix layers
        AttributionGraph g = Attribution.graph(model, set(name), ids, AttributionOptions.DEFAULTS.withBatchSize(7));
        Path ref = SharedModels.path("circuits-tiny/" + name + ".graph.safetensors");
        try (WeightStore ws = SafeTensors.open(ref)) {
            long[] feats = ws.longs("active_features");
            int n = feats.length / 3;
            assertEquals(n, g.activeFeature().length, "active feature count");
            for (int i = 0; i < n; i++) {
                assertEquals(feats[3 * i], g.activeLayer()[i], "layer of feature " + i);
                assertEquals(feats[3 * i + 1], g.activePosition()[i], "position of feature " + i);
                assertEquals(feats[3 * i + 2], g.activeFeature()[i], "index of feature " + i);
            }
            assertArrayEquals(toInt(ws.longs("logit_targets")), g.logitTargets());
            assertArrayEquals(toInt(ws.longs("input_tokens")), g.inputTokens());
            assertArrayEquals(ws.tensor("logit_probabilities").data(), g.logitProbabilities(), 1e-6f);
            assertArrayEquals(ws.tensor("activation_values").data(), g.activationValues(), 1e-5f);
            float[] want = ws.tensor("adjacency").data(), got = g.denseAdjacency();
            assertEquals(want.length, got.length, "adjacency size");
            double maxAbs = 0, maxErr = 0;
            for (int i = 0; i < want.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(want[i]));
                maxErr = Math.max(maxErr, Math.abs(want[i] - got[i]));
            }
            double rel = maxErr / maxAbs;
            System.out.printf("%s: %d nodes, %d features, %d logits, max |A| %.4g, max error %.3g (relative %.3g)%n", name, g.nodes(), n,
                    g.logitTargets().length, maxAbs, maxErr, rel);
            assertTrue(rel < 1e-4, "adjacency relative error " + rel);
            // every single entry, too, within 1e-4 of the largest
            for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-4 * maxAbs, "adjacency entry " + i);
        }
    }

    private static int[] toInt(long[] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) out[i] = Math.toIntExact(a[i]);
        return out;
    }
}
