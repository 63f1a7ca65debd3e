package dev.loupe.server.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.interp.intervene.TensorResolver;
import dev.loupe.server.api.ModelApi;
import dev.loupe.server.api.ModelNames;
import dev.loupe.server.batch.ForwardJob;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.http.Body;
import dev.loupe.server.readout.Array;
import dev.loupe.server.wire.NamedTensor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The SAE endpoints: list the SAEs loaded at start-up, encode a prompt's activations at an SAE's hook into feature
 * activations (the forward pass shares the scheduler's batches and takes interventions), decode feature
 * activations back to the hook's space (encoding and decoding run on the model thread, under the scheduler's queue,
 * time and memory limits), and serve feature dashboards from the SAE's feature store. Feature
 * directions can steer: an intervention's {@code {"ref": "sae:NAME:ID"}} is the decoder row of feature ID.
 */
public final class SaeApi {
    private final Map<String, ServedSae> saes = new LinkedHashMap<>();

    public SaeApi(List<ServedSae> loaded) {
        for (ServedSae s : loaded) {
            if (saes.put(s.name(), s) != null) throw new IllegalArgumentException("two SAEs are named '" + s.name() + "'; name them NAME=DIR");
        }
    }

    public ObjectNode list() {
        ObjectNode o = Body.JSON.createObjectNode();
        ArrayNode a = o.putArray("saes");
        for (ServedSae s : saes.values()) {
            a.addObject().put("name", s.name()).put("hook", s.hook().name()).put("architecture", s.sae().config().architecture())
                    .put("d_in", s.sae().dIn()).put("d_sae", s.sae().dSae()).put("features", s.features() != null);
        }
        return o;
    }

    /**
     * Feature activations [pos, d_sae] at the SAE's hook, sent as the {@code topk} strongest features per position
     * ({@code top.values}, {@code top.indices}) and/or the columns of chosen {@code features} ({@code acts}).
     */
    public ModelApi.Result encode(ModelApi api, Body b, String requestId) {
        b.allow(ModelApi.with(ModelApi.INPUT, "sae", "topk", "features", "interventions"));
        ServedSae s = sae(b.requireString("sae"), b.field("sae"));
        int[] ids = api.tokens(b);
        int topk = b.integer("topk", b.has("features") ? 0 : 8);
        int[] features = b.ints("features");
        if (features != null) for (int i = 0; i < features.length; i++) checkFeature(s, features[i], b.field("features") + "[" + i + "]");
        if (topk < 0) throw ApiError.badRequest(b.field("topk") + ": must be non-negative, got " + topk);
        long dSae = s.sae().dSae(), codeBytes = 4L * ids.length * dSae, sent = 12L * ids.length * ((features == null ? 0 : features.length) + Math.min(topk, dSae));
        if (codeBytes > api.limits().maxCacheBytes()) {
            throw ApiError.tooLarge(b.path() + ": " + ids.length + " tokens encode to " + codeBytes + " bytes of feature activations (" + dSae
                    + " features each); the limit is max_cache_bytes " + api.limits().maxCacheBytes() + " (fewer tokens)");
        }
        if (sent > api.limits().maxResponseBytes()) {
            throw ApiError.tooLarge(b.path() + ": features and topk ask for about " + sent + " bytes for " + ids.length + " tokens; the limit is max_response_bytes "
                    + api.limits().maxResponseBytes() + " (fewer features, a smaller topk or fewer tokens)");
        }
        ForwardJob.Result res = api.forward(requestId, ids, api.interventions(b, requestId), List.of(s.hook().name()), false);
        Tensor acts = res.activations().get(s.hook().name());
        // encoding and its reductions on the model thread: the [pos, d_sae] codes never reach the request thread
        List<NamedTensor> out = api.solo(requestId, ids.length, () -> {
            Array a = ModelApi.rowArray(s.sae().encode(acts)); // [pos, d_sae]
            List<NamedTensor> sel = new ArrayList<>();
            if (features != null) {
                Array f = a.select(1, features, "features");
                sel.add(NamedTensor.ofFloats("acts", f.data(), f.shape()));
            }
            if (topk > 0) {
                Array.TopK t = a.topk(topk);
                sel.add(NamedTensor.ofFloats("top.values", t.values().data(), t.values().shape()));
                sel.add(NamedTensor.ofLongs("top.indices", t.indices(), t.values().shape()));
            }
            return sel;
        });
        ObjectNode extras = api.inputExtras(ids);
        extras.put("sae", s.name()).put("hook", s.hook().name()).put("batch_rows", res.batchRows());
        return new ModelApi.Result(extras, out);
    }

    /** The hook-space vector [d_in] of feature activations {@code {"features": {"ID": value, ...}}} (b_dec included). */
    public ModelApi.Result decode(ModelApi api, Body b, String requestId) {
        b.allow(Set.of("sae", "features"));
        ServedSae s = sae(b.requireString("sae"), b.field("sae"));
        JsonNode f = b.raw("features");
        if (f == null || !f.isObject()) throw ApiError.badRequest(b.field("features") + ": expected an object {\"feature id\": activation}");
        float[] dense = new float[s.sae().dSae()];
        for (Iterator<Map.Entry<String, JsonNode>> it = f.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String where = b.field("features") + "." + e.getKey();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException x) {
                throw ApiError.badRequest(where + ": feature ids are integers");
            }
            checkFeature(s, id, where);
            if (!e.getValue().isNumber()) throw ApiError.badRequest(where + ": expected a number");
            dense[id] = e.getValue().floatValue();
        }
        Tensor v = api.solo(requestId, 1, () -> s.sae().decode(Tensor.of(dense, 1, dense.length)));
        ObjectNode extras = Body.JSON.createObjectNode().put("sae", s.name()).put("hook", s.hook().name());
        return new ModelApi.Result(extras, List.of(NamedTensor.ofFloats("vector", v.data(), s.sae().dIn())));
    }

    /**
     * {@code /v1/saes/NAME/features[/ID]}: the most frequent features, or one feature's dashboard;
     * {@code /v1/saes/NAME/search/TEXT}: features whose top contexts or promoted tokens contain TEXT.
     */
    public ObjectNode features(String rest) {
        String[] parts = rest.split("/", -1);
        if (parts.length >= 3 && parts[1].equals("search")) {
            ServedSae s = sae(parts[0], "path");
            String text = rest.substring(parts[0].length() + "/search/".length());
            if (s.features() == null) throw new ApiError(404, "SAE '" + s.name() + "' has no feature store to search");
            if (text.isBlank()) throw ApiError.badRequest("search text is empty: /v1/saes/" + s.name() + "/search/TEXT");
            return Body.JSON.createObjectNode().put("sae", s.name()).put("query", text).set("features", s.features().search(text, 50));
        }
        if (parts.length < 2 || !parts[1].equals("features") || parts.length > 3) {
            throw new ApiError(404, "expected /v1/saes/NAME/features, /v1/saes/NAME/features/ID or /v1/saes/NAME/search/TEXT");
        }
        ServedSae s = sae(parts[0], "path");
        if (s.features() == null) {
            throw new ApiError(404, "SAE '" + s.name() + "' has no feature store; build one with 'loupe sae features --out DIR/" + ServedSae.FEATURES_FILE + "' and restart");
        }
        if (parts.length == 2) return Body.JSON.createObjectNode().put("sae", s.name()).set("features", s.features().top(50));
        int id;
        try {
            id = Integer.parseInt(parts[2]);
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("feature id '" + parts[2] + "' is not an integer");
        }
        checkFeature(s, id, "feature");
        ObjectNode o = s.features().feature(id);
        if (o == null) throw new ApiError(404, "feature " + id + " is not in the feature store of '" + s.name() + "'");
        o.put("sae", s.name()).put("hook", s.hook().name());
        ArrayNode dir = o.putArray("decoder");
        float[] w = s.decoder();
        int d = s.sae().dIn();
        for (int i = 0; i < d; i++) dir.add(w[id * d + i]);
        return o;
    }

    /** Resolves {@code sae:NAME:ID} to feature ID's decoder row, for steering with SAE features. */
    public TensorResolver directions() {
        return new TensorResolver() {
            @Override
            public Tensor find(String ref) {
                String[] p = ref.split(":");
                if (p.length != 3 || !p[0].equals("sae") || !saes.containsKey(p[1])) return null;
                ServedSae s = saes.get(p[1]);
                int id;
                try {
                    id = Integer.parseInt(p[2]);
                } catch (NumberFormatException e) {
                    return null;
                }
                if (id < 0 || id >= s.sae().dSae()) return null;
                int d = s.sae().dIn();
                return Tensor.of(java.util.Arrays.copyOfRange(s.decoder(), id * d, (id + 1) * d), d);
            }

            @Override
            public Set<String> names() {
                Set<String> n = new TreeSet<>();
                for (String s : saes.keySet()) n.add("sae:" + s + ":ID");
                return n;
            }
        };
    }

    private ServedSae sae(String name, String field) {
        if (ModelNames.pathLike(name)) {
            throw ApiError.badRequest(field + ": '" + name + "' looks like a file path; SAEs are loaded when the server starts and named by name " + saes.keySet());
        }
        ServedSae s = saes.get(name);
        if (s == null) throw new ApiError(404, field + ": no SAE named '" + name + "'; this server has " + saes.keySet());
        return s;
    }

    private static void checkFeature(ServedSae s, int id, String where) {
        if (id < 0 || id >= s.sae().dSae()) throw ApiError.badRequest(where + ": feature " + id + " is outside 0.." + (s.sae().dSae() - 1));
    }
}
