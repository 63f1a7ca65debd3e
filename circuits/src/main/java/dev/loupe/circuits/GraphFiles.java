package dev.loupe.circuits;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.model.format.AtomicFile;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.SafeTensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * An attribution graph on disk. {@code graph.safetensors} holds the unpruned graph under circuit-tracer's
 * names: {@code adjacency_matrix} [n, n] (row target, column source; written row by row from the graph's held rows, so
 * never whole in memory: 4 · n² bytes on disk, n ≈ 13 · P for a 12-layer model), {@code active_features} int64 [F, 3]
 * (layer, position, feature), {@code activation_values} [F], {@code selected_features} int64 (indices into
 * active_features of the feature nodes), {@code logit_targets} int64, {@code logit_probabilities},
 * {@code input_tokens} int64. {@code graph.json} is the pruned graph in the schema circuit-tracer's and
 * Neuronpedia's graph front ends read: {@code metadata}, {@code qParams}, {@code nodes} (feature nodes
 * {@code "{layer}_{feature}_{pos}"}, error nodes {@code "err_{layer}_{pos}"} — circuit-tracer's own
 * {@code "0_{layer}_{pos}"} can collide with feature ids —, embeddings {@code "E_{token}_{pos}"}, logits
 * {@code "{L+1}_{token}_{pos}"}) and {@code links} (source, target, weight).
 */
public final class GraphFiles {
    public static final String TENSORS = "graph.safetensors";
    public static final String JSON_FILE = "graph.json";
    private static final ObjectMapper JSON = Json.MAPPER;

    private GraphFiles() {}

    /**
     * Writes the unpruned graph's tensors; the adjacency as circuit-tracer's dense {@code adjacency_matrix} [n, n], or,
     * with {@code targetRowsOnly} (for long prompts, where n² floats would not fit the disk: 45 GB at 8,192 tokens of a
     * 12-layer model), only its nonzero rows: {@code adjacency_rows} [N + T, n] and {@code adjacency_row_nodes} int64
     * [N + T], the node each row is the target of (the other rows are zero).
     */
    public static void writeTensors(AttributionGraph g, Path file, boolean targetRowsOnly) throws IOException {
        int nActive = g.activeFeature().length, n = g.nodes();
        long[] feats = new long[nActive * 3];
        for (int i = 0; i < nActive; i++) {
            feats[3 * i] = g.activeLayer()[i];
            feats[3 * i + 1] = g.activePosition()[i];
            feats[3 * i + 2] = g.activeFeature()[i];
        }
        SafeTensorsWriter w = new SafeTensorsWriter()
                .metadata("semantics", "circuit-tracer Graph: rows targets, cols sources; nodes = selected features, errors (layer-major), tokens, logits")
                .addLongs("active_features", DType.I64, feats, nActive, 3)
                .add("activation_values", Tensor.of(g.activationValues(), nActive))
                .addLongs("selected_features", DType.I64, longs(g.selectedFeatures()), g.selectedFeatures().length)
                .addLongs("logit_targets", DType.I64, longs(g.logitTargets()), g.logitTargets().length)
                .add("logit_probabilities", Tensor.of(g.logitProbabilities(), g.logitTargets().length))
                .addLongs("input_tokens", DType.I64, longs(g.inputTokens()), g.inputTokens().length);
        if (targetRowsOnly) {
            long[] nodes = new long[g.targets()];
            for (int r = 0; r < nodes.length; r++) nodes[r] = g.targetNode(r);
            w.add("adjacency_rows", Tensor.of(g.targetRows(), g.targets(), n)).addLongs("adjacency_row_nodes", DType.I64, nodes, nodes.length);
        } else {
            w.addRows("adjacency_matrix", DType.F32, n, n, g::adjacencyRow);
        }
        if (g.scan() != null) w.metadata("scan", g.scan());
        w.write(file);
    }

    /**
     * The pruned graph as front-end JSON.
     *
     * @param tokenText a token's printable text (for prompt_tokens and logit labels)
     */
    public static ObjectNode json(AttributionGraph g, GraphPruning pruning, GraphScores scores, String slug, String prompt,
                                  IntFunction<String> tokenText, double nodeThreshold, double edgeThreshold) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode meta = root.putObject("metadata");
        meta.put("slug", slug);
        meta.put("scan", g.scan() == null ? "loupe-" + slug : g.scan());
        meta.putArray("transcoder_list");
        ArrayNode promptTokens = meta.putArray("prompt_tokens");
        for (int t : g.inputTokens()) promptTokens.add(tokenText.apply(t));
        meta.put("prompt", prompt);
        meta.put("node_threshold", nodeThreshold);
        meta.put("edge_threshold", edgeThreshold);
        meta.put("replacement_score", scores.replacement());
        meta.put("completeness_score", scores.completeness());
        meta.put("generator", "loupe");
        ObjectNode q = root.putObject("qParams");
        q.putArray("pinnedIds");
        q.putArray("supernodes");
        q.put("linkType", "both");
        q.put("clickedId", "");
        q.put("sg_pos", "");

        int n = g.nodes();
        String[] ids = new String[n];
        ObjectNode[] nodes = new ObjectNode[n];
        for (int i = 0; i < n; i++) if (pruning.nodeMask()[i]) nodes[i] = node(g, i, pruning.cumulativeScores()[i], tokenText, ids);
        ArrayNode links = JSON.createArrayNode();
        Set<Integer> connected = new HashSet<>();
        for (int r = 0; r < g.targets(); r++) {
            int t = g.targetNode(r);
            if (nodes[t] == null) continue;
            for (int s = 0; s < n; s++) {
                if (nodes[s] == null || !pruning.edgeMask()[r * n + s]) continue;
                ObjectNode l = links.addObject();
                l.put("source", ids[s]);
                l.put("target", ids[t]);
                l.put("weight", g.edge(t, s));
                connected.add(s);
                connected.add(t);
            }
        }
        ArrayNode out = root.putArray("nodes");
        for (int i = 0; i < n; i++) {
            if (nodes[i] == null) continue;
            String type = nodes[i].get("feature_type").asText();
            if (connected.contains(i) || type.equals("embedding") || type.equals("logit")) out.add(nodes[i]);
        }
        root.set("links", links);
        return root;
    }

    private static ObjectNode node(AttributionGraph g, int i, double influence, IntFunction<String> tokenText, String[] ids) {
        ObjectNode o = JSON.createObjectNode();
        int nSel = g.featureNodes(), pos = g.positions();
        String id, js, layer, type;
        int feature, ctx;
        if (i < nSel) {
            int a = g.selectedFeatures()[i];
            int l = g.activeLayer()[a], f = g.activeFeature()[a];
            ctx = g.activePosition()[a];
            id = l + "_" + f + "_" + ctx;
            js = l + "_" + f + "-0";
            layer = Integer.toString(l);
            feature = f;
            type = "cross layer transcoder";
            o.put("activation", g.activationValues()[a]);
        } else if (i < g.tokenNode(0)) {
            int l = (i - nSel) / pos;
            ctx = (i - nSel) % pos;
            id = "err_" + l + "_" + ctx;
            js = l + "_" + ctx + "-0";
            layer = Integer.toString(l);
            feature = -1;
            type = "mlp reconstruction error";
        } else if (i < g.logitNode(0)) {
            ctx = i - g.tokenNode(0);
            int tok = g.inputTokens()[ctx];
            id = "E_" + tok + "_" + ctx;
            js = "E_" + tok + "-" + ctx;
            layer = "E";
            feature = ctx;
            type = "embedding";
        } else {
            int j = i - g.logitNode(0), tok = g.logitTargets()[j];
            ctx = pos - 1;
            layer = Integer.toString(g.nLayers() + 1);
            id = layer + "_" + tok + "_" + ctx;
            js = "L_" + tok + "-" + ctx;
            feature = tok;
            type = "logit";
            o.put("token_prob", g.logitProbabilities()[j]);
            o.put("is_target_logit", j == 0);
            o.put("clerp", String.format(java.util.Locale.ROOT, "Output \"%s\" (p=%.3f)", tokenText.apply(tok), g.logitProbabilities()[j]));
        }
        ids[i] = id;
        o.put("node_id", id);
        o.put("feature", feature);
        o.put("layer", layer);
        o.put("ctx_idx", ctx);
        o.put("feature_type", type);
        if (!o.has("token_prob")) o.put("token_prob", 0.0);
        if (!o.has("is_target_logit")) o.put("is_target_logit", false);
        o.put("run_idx", 0);
        o.put("reverse_ctx_idx", 0);
        o.put("jsNodeId", js);
        if (!o.has("clerp")) o.put("clerp", "");
        o.put("influence", influence);
        return o;
    }

    /** Writes graph.safetensors ({@link #writeTensors}) and graph.json into {@code dir} (created if needed), each atomically. */
    public static void write(Path dir, AttributionGraph g, ObjectNode json, boolean targetRowsOnly) throws IOException {
        Files.createDirectories(dir);
        writeTensors(g, dir.resolve(TENSORS), targetRowsOnly);
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json);
        AtomicFile.write(dir.resolve(JSON_FILE), ch -> ch.write(ByteBuffer.wrap(bytes)));
    }

    private static long[] longs(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i];
        return out;
    }
}
