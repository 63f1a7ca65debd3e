package dev.loupe.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.server.wire.NamedTensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The logit lens's answer as arrays, for clients that ask for safetensors or npy: {@code top_ids} (int64) and
 * {@code top_probs} [depth, pos, k], {@code target_prob} [depth, pos]; depth labels and token strings stay fields.
 */
public final class LensArrays {
    private LensArrays() {}

    public static ModelApi.Result of(ObjectNode lens) {
        ObjectNode extras = lens.deepCopy();
        List<NamedTensor> out = new ArrayList<>();
        JsonNode ids = extras.remove("top_ids"), probs = extras.remove("top_probs"), target = extras.remove("target_prob");
        int depths = ids.size(), pos = ids.get(0).size(), k = ids.get(0).get(0).size();
        long[] id = new long[depths * pos * k];
        float[] p = new float[id.length];
        for (int d = 0, i = 0; d < depths; d++) {
            for (int q = 0; q < pos; q++) {
                for (int j = 0; j < k; j++, i++) {
                    id[i] = ids.get(d).get(q).get(j).longValue();
                    p[i] = probs.get(d).get(q).get(j).floatValue();
                }
            }
        }
        out.add(NamedTensor.ofLongs("top_ids", id, depths, pos, k));
        out.add(NamedTensor.ofFloats("top_probs", p, depths, pos, k));
        if (target != null) {
            float[] t = new float[depths * pos];
            for (int d = 0; d < depths; d++) for (int q = 0; q < pos; q++) t[d * pos + q] = target.get(d).get(q).floatValue();
            out.add(NamedTensor.ofFloats("target_prob", t, depths, pos));
        }
        return new ModelApi.Result(extras, out);
    }
}
