package dev.loupe.circuits;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.format.Json;
import dev.loupe.sae.Vec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A {@link QkAttribution} as JSON, the one form the CLI writes and the server returns: the head and positions, the
 * score, the top (query source × key source) pairs, and each side's top single sources (a node's part against the
 * whole other side: s · q_i·k and s · q·k_j). Sources carry graph.json's {@code node_id}, so a graph view can find
 * them. Cost: O(|query sources| · |key sources| · d_head) for the pairs.
 */
public final class QkJson {
    private QkJson() {}

    /** The {@code top} pairs and sources of {@code qk}; {@code tokenText} spells the prompt's tokens. */
    public static ObjectNode of(QkAttribution qk, int top, IntFunction<String> tokenText) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("layer", qk.layer()).put("head", qk.head()).put("query_position", qk.queryPos()).put("key_position", qk.keyPos());
        o.put("query_token", tokenText.apply(qk.tokens()[qk.queryPos()])).put("key_token", tokenText.apply(qk.tokens()[qk.keyPos()]));
        o.put("score", qk.score()).put("scale", qk.scale());
        float[] q = sum(qk.query(), qk.queryBias()), k = sum(qk.key(), qk.keyBias());
        o.put("bias_term", qk.scale() * (dot(qk.queryBias(), k) + dot(q, qk.keyBias()) - dot(qk.queryBias(), qk.keyBias())));
        ArrayNode pairs = o.putArray("pairs");
        for (QkAttribution.Pair p : qk.topPairs(top)) {
            ObjectNode e = pairs.addObject();
            e.set("query", source(qk, p.querySource()));
            e.set("key", source(qk, p.keySource()));
            e.put("value", p.value());
        }
        o.set("query_sources", sides(qk, qk.query(), k, top));
        o.set("key_sources", sides(qk, qk.key(), q, top));
        return o;
    }

    private static ArrayNode sides(QkAttribution qk, float[][] parts, float[] other, int top) {
        List<double[]> all = new ArrayList<>();
        for (int s = 0; s < parts.length; s++) {
            double v = qk.scale() * dot(parts[s], other);
            if (v != 0) all.add(new double[] {s, v});
        }
        all.sort(Comparator.comparingDouble(a -> -Math.abs(a[1])));
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (double[] a : all.subList(0, Math.min(top, all.size()))) out.add(source(qk, (int) a[0]).put("value", a[1]));
        return out;
    }

    private static ObjectNode source(QkAttribution qk, int s) {
        return Json.MAPPER.createObjectNode().put("node_id", qk.nodeId(s)).put("label", qk.label(s));
    }

    private static float[] sum(float[][] parts, float[] bias) {
        float[] out = bias.clone();
        for (float[] p : parts) for (int i = 0; i < out.length; i++) out[i] += p[i];
        return out;
    }

    private static double dot(float[] a, float[] b) {
        return Vec.dot(a, 0, b, 0, a.length);
    }
}
