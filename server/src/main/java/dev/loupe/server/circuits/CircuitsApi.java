package dev.loupe.server.circuits;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.circuits.Attribution;
import dev.loupe.circuits.AttributionGraph;
import dev.loupe.circuits.AttributionOptions;
import dev.loupe.circuits.FeatureInterventions;
import dev.loupe.circuits.FeatureLogits;
import dev.loupe.circuits.GraphFiles;
import dev.loupe.circuits.GraphPruning;
import dev.loupe.circuits.GraphScores;
import dev.loupe.circuits.MemoryPlan;
import dev.loupe.circuits.QkAttribution;
import dev.loupe.circuits.QkJson;
import dev.loupe.interp.intervene.InterventionSpec;
import dev.loupe.interp.intervene.SpecException;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.tokenizer.Tokenizer;
import dev.loupe.sae.transcoder.Transcoders;
import dev.loupe.server.api.ModelApi;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.http.Body;
import dev.loupe.server.sae.FeatureStore;
import java.util.Set;

/**
 * The circuits endpoints, served when the server has transcoders: {@code POST /v1/attribute} (an attribution
 * graph, pruned, in the front-end JSON schema), {@code POST /v1/attribute/qk} (one head's attention score split over
 * pairs of query-side and key-side nodes, {@link QkJson}), {@code POST /v1/features/intervene} (top next-token
 * probabilities with and without feature edits) and {@code GET /v1/transcoders/{layer}/{feature}} (a feature's
 * logit effects and, with feature stores, its dashboard). All of it is model work on the model thread (the
 * scheduler's queue, fairness, time and memory limits): a graph's memory plan ({@link MemoryPlan}) is checked against
 * {@code max_graph_bytes} before it queues (the part known before the forward) and again once its active features are
 * known (a smaller batch size, or a 413 naming the figures); its reverse passes stop at the request's deadline, so a
 * graph past its time limit frees the model thread.
 */
public final class CircuitsApi {
    private static final Set<String> ATTRIBUTE = Set.of("model", "prompt", "tokens", "bos", "max_n_logits", "desired_logit_prob",
            "node_threshold", "edge_threshold", "max_feature_nodes", "batch_size");
    private static final Set<String> QK = Set.of("model", "prompt", "tokens", "bos", "layer", "head", "query_position", "key_position", "top_k", "batch_size");
    private static final Set<String> INTERVENE = Set.of("model", "prompt", "tokens", "bos", "edits", "freeze_attention", "constrained_layers", "top_k");

    private final LoadedModel model;
    private final Transcoders transcoders;
    private final FeatureStore[] stores;
    private final ModelApi api;

    /** @param served the transcoders and their feature stores, or null */
    public CircuitsApi(LoadedModel model, ServedTranscoders served, ModelApi api) {
        this.model = model;
        this.transcoders = served == null ? null : served.transcoders();
        this.stores = served == null ? null : served.stores();
        this.api = api;
    }

    private Transcoders require() {
        if (transcoders == null) throw new ApiError(404, "this server has no transcoders (start it with --transcoders DIR)");
        return transcoders;
    }

    private int[] ids(Body b) {
        int[] ids = api.tokens(b);
        Tokenizer tok = model.tokenizer();
        return b.has("prompt") && tok != null && b.bool("bos", true) ? Attribution.withBos(tok.bosId(), ids) : ids;
    }

    public ObjectNode attribute(Body b, String requestId) {
        Transcoders tc = require();
        b.allow(ATTRIBUTE);
        int[] ids = ids(b);
        double node = b.number("node_threshold", 0.8), edge = b.number("edge_threshold", 0.98);
        AttributionOptions opt;
        try {
            opt = new AttributionOptions(b.integer("max_n_logits", 10), b.number("desired_logit_prob", 0.95),
                    b.integer("max_feature_nodes", Integer.MAX_VALUE), b.integer("batch_size", 32), api.limits().maxGraphBytes());
            if (!(node >= 0 && node <= 1 && edge >= 0 && edge <= 1)) throw new IllegalArgumentException("node_threshold and edge_threshold must be in [0, 1], got " + node + " and " + edge);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(b.path() + ": " + e.getMessage());
        }
        TransformerConfig cfg = model.transformer().config();
        checkMemory(b, MemoryPlan.of(cfg, ids.length, 0, MemoryPlan.widest(tc), 0, opt.maxNLogits(), 1).total(), ids.length);
        long targets = opt.maxNLogits() + Math.min(opt.maxFeatureNodes(), (long) cfg.nLayers() * ids.length);
        Tokenizer tok = model.tokenizer();
        String prompt = b.has("prompt") ? b.string("prompt", "") : tok == null ? "" : tok.decode(ids);
        ObjectNode out = api.solo(requestId, reverseCost(ids.length, targets), deadline -> badRequests(b, () -> {
            AttributionGraph g;
            try {
                g = Attribution.graph(model.transformer(), tc, ids, opt, deadline);
            } catch (MemoryPlan.OverBudget e) {
                throw ApiError.tooLarge(b.path() + ": an attribution graph of " + ids.length + " tokens needs about " + e.plan() + " with one target per reverse pass;"
                        + " this server's max_graph_bytes is " + MemoryPlan.gib(e.budget()) + " (lower max_feature_nodes or max_n_logits, or shorten the prompt)");
            }
            return GraphFiles.json(g, GraphPruning.of(g, node, edge), GraphScores.of(g), "loupe", prompt, t -> tok == null ? Integer.toString(t) : tok.tokenText(t), node, edge);
        }));
        ArrayNode tokens = ((ObjectNode) out.get("metadata")).putArray("prompt_ids");
        for (int t : ids) tokens.add(t);
        return out;
    }

    /**
     * Refuses a request whose memory plan, as far as it is known before anything runs, is over {@code max_graph_bytes}
     * (413, naming the limit and the figure), before anything large is allocated.
     */
    private void checkMemory(Body b, long bytes, int tokens) {
        long limit = api.limits().maxGraphBytes();
        if (bytes > limit) {
            throw ApiError.tooLarge(b.path() + ": " + tokens + " tokens need at least " + MemoryPlan.gib(bytes) + " for the frozen forward pass and one reverse pass;"
                    + " this server's max_graph_bytes is " + MemoryPlan.gib(limit) + " (shorten the prompt)");
        }
    }

    /** Scheduler cost of a frozen forward of {@code pos} tokens and {@code targets} reverse-pass targets, in token positions ({@link dev.loupe.server.batch.Job#cost}). */
    private static long reverseCost(int pos, long targets) {
        return pos * (1 + 2 * targets);
    }

    /**
     * POST /v1/attribute/qk: layer, head and key_position required; query_position defaults to the last token. A few
     * batched backward passes (2·d_head targets), on the model thread.
     */
    public ObjectNode qk(Body b, String requestId) {
        Transcoders tc = require();
        b.allow(QK);
        int[] ids = ids(b);
        for (String f : new String[] {"layer", "head", "key_position"}) {
            if (!b.has(f)) throw ApiError.badRequest(b.path() + "." + f + ": required (an integer)");
        }
        int layer = b.integer("layer", 0), head = b.integer("head", 0), query = b.integer("query_position", ids.length - 1), key = b.integer("key_position", 0);
        int top = b.integer("top_k", 10), batch = b.integer("batch_size", 32);
        if (batch < 1) throw ApiError.badRequest(b.field("batch_size") + ": must be at least 1, got " + batch);
        TransformerConfig cfg = model.transformer().config();
        int dh = cfg.dHead();
        MemoryPlan plan = MemoryPlan.of(cfg, ids.length, 0, MemoryPlan.widest(tc), 0, 0, Math.min(batch, dh));
        // the frozen forward, one reverse pass, and the 2·d_head dense rows over the error and token columns (twice: rows, then per source)
        checkMemory(b, plan.frozen() + plan.batch() + 2L * 2 * dh * 4L * (cfg.nLayers() + 1) * ids.length, ids.length);
        QkAttribution qk = api.solo(requestId, reverseCost(ids.length, 2L * dh), deadline -> badRequests(b,
                () -> QkAttribution.of(model.transformer(), tc, ids, layer, head, query, key, batch, deadline)));
        ObjectNode out = QkJson.of(qk, top, this::text);
        ArrayNode tokens = out.putArray("prompt_ids");
        for (int t : ids) tokens.add(t);
        return out;
    }

    public ObjectNode intervene(Body b, String requestId) {
        Transcoders tc = require();
        b.allow(INTERVENE);
        int[] ids = ids(b);
        ObjectNode features = Body.JSON.createObjectNode();
        features.set("edits", b.raw("edits") == null ? Body.JSON.createArrayNode() : b.raw("edits"));
        if (b.has("freeze_attention")) features.set("freeze_attention", b.raw("freeze_attention"));
        if (b.has("constrained_layers")) features.set("constrained_layers", b.raw("constrained_layers"));
        ObjectNode spec = Body.JSON.createObjectNode().put("version", InterventionSpec.VERSION);
        spec.putArray("interventions");
        spec.set("features", features);
        int k = b.integer("top_k", 10);
        InterventionSpec parsed = badRequests(b, () -> InterventionSpec.parse(spec.toString()));
        checkMemory(b, MemoryPlan.of(model.transformer().config(), ids.length, 0, MemoryPlan.widest(tc), 0, 0, 1).frozen(), ids.length);
        float[][] logits = api.solo(requestId, 2L * ids.length, () -> badRequests(b, () -> new float[][] {
                last(FeatureInterventions.compile(model.transformer(), tc, dev.loupe.interp.intervene.FeatureEdits.NONE, ids).forward(ids, null).data(), ids.length),
                last(FeatureInterventions.compile(model.transformer(), tc, parsed.features(), ids).forward(ids, null).data(), ids.length)}));
        ObjectNode out = Body.JSON.createObjectNode();
        ArrayNode t = out.putArray("tokens");
        for (int id : ids) t.add(id);
        out.set("clean", top(logits[0], k));
        out.set("edited", top(logits[1], k));
        return out;
    }

    /** {@code work}'s result; a bad spec or edit is a 400 naming the request's field. */
    private static <T> T badRequests(Body b, java.util.function.Supplier<T> work) {
        try {
            return work.get();
        } catch (SpecException e) {
            throw ApiError.badRequest(b.path() + "." + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(b.path() + ": " + e.getMessage());
        }
    }

    /**
     * GET /v1/transcoders/{layer}/{feature}: the feature's logit effects, and its dashboard (frequency, histogram, top
     * contexts; {@link FeatureStore}) when the layer has a feature store.
     */
    public ObjectNode feature(String rest, String requestId) {
        Transcoders tc = require();
        String[] parts = rest.split("/");
        int layer, feature;
        try {
            if (parts.length != 2) throw new NumberFormatException();
            layer = Integer.parseInt(parts[0]);
            feature = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new ApiError(404, "expected /v1/transcoders/{layer}/{feature}, got /v1/transcoders/" + rest);
        }
        FeatureLogits f = api.solo(requestId, 1, () -> {
            try {
                return FeatureLogits.of(model.transformer(), tc, layer, feature, 10);
            } catch (IllegalArgumentException e) {
                throw new ApiError(404, e.getMessage());
            }
        });
        ObjectNode out = Body.JSON.createObjectNode().put("layer", layer).put("feature", feature);
        out.set("promotes", effects(f.promoted(), f.promotedValues()));
        out.set("suppresses", effects(f.suppressed(), f.suppressedValues()));
        ObjectNode dashboard = stores[layer] == null ? null : stores[layer].feature(feature);
        if (dashboard != null) out.set("dashboard", dashboard);
        return out;
    }

    private ArrayNode effects(int[] ids, float[] values) {
        ArrayNode a = Body.JSON.createArrayNode();
        for (int i = 0; i < ids.length; i++) a.addObject().put("id", ids[i]).put("token", text(ids[i])).put("value", values[i]);
        return a;
    }

    private String text(int id) {
        return model.tokenizer() == null ? Integer.toString(id) : model.tokenizer().tokenText(id);
    }

    private float[] last(float[] logits, int pos) {
        int v = model.transformer().config().dVocab();
        return java.util.Arrays.copyOfRange(logits, (pos - 1) * v, pos * v);
    }

    private ArrayNode top(float[] logits, int k) {
        double max = Double.NEGATIVE_INFINITY, z = 0;
        for (float x : logits) max = Math.max(max, x);
        for (float x : logits) z += Math.exp(x - max);
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, c) -> Float.compare(logits[c], logits[a]));
        ArrayNode out = Body.JSON.createArrayNode();
        for (int j = 0; j < Math.min(k, logits.length); j++) {
            int id = order[j];
            out.addObject().put("id", id).put("token", text(id)).put("prob", Math.exp(logits[id] - max) / z);
        }
        return out;
    }
}
