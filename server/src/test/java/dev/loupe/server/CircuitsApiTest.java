package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.circuits.Attribution;
import dev.loupe.circuits.AttributionGraph;
import dev.loupe.circuits.AttributionOptions;
import dev.loupe.circuits.GraphPruning;
import dev.loupe.circuits.QkAttribution;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.Transcoders;
import dev.loupe.server.api.Limits;
import dev.loupe.server.client.LoupeClient;
import dev.loupe.server.http.ApiKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /v1/attribute and /v1/features/intervene against the library, from Java and from the Python client. */
class CircuitsApiTest {
    static LoupeServer server;
    static LoupeClient client;
    static LoadedModel model;
    static Transcoders tc;

    @BeforeAll
    static void start() throws Exception {
        model = ModelLoader.load(SharedModels.path("gpt2-tiny-random").toString(), null);
        tc = CircuitTracerFormat.read(SharedModels.path("circuits-tiny/plt-jumprelu"));
        server = new LoupeServer(model, "gpt2-tiny", List.of(), tc,
                new LoupeServer.Config("127.0.0.1", 0, ApiKeys.of(List.of(TestServer.KEY)), Limits.DEFAULT, 32, 256), line -> { });
        client = new LoupeClient(java.net.URI.create("http://127.0.0.1:" + server.port() + "/"), TestServer.KEY);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void attributeServesTheLibrarysPrunedGraph() throws Exception {
        int[] ids = {50256, 464, 3797, 3332, 319, 262, 2603};
        ObjectNode req = LoupeClient.request();
        var t = req.putArray("tokens");
        for (int id : ids) t.add(id);
        JsonNode g = client.post("/v1/attribute", req);
        AttributionGraph lib = Attribution.graph(model.transformer(), tc, ids, AttributionOptions.DEFAULTS);
        GraphPruning p = GraphPruning.of(lib, 0.8, 0.98);
        int kept = 0;
        for (boolean b : p.nodeMask()) if (b) kept++;
        assertTrue(g.get("nodes").size() <= kept && g.get("nodes").size() >= ids.length + lib.logitTargets().length);
        assertEquals(lib.logitTargets()[0], firstLogit(g));
        LoupeClient.ApiException bad = org.junit.jupiter.api.Assertions.assertThrows(LoupeClient.ApiException.class,
                () -> client.post("/v1/attribute", LoupeClient.request().put("prompt", "x").put("node_threshold", 2.0)));
        assertEquals(400, bad.status(), "a threshold outside [0, 1] is a 400");
    }

    @Test
    void qkServesTheLibrarysPairs() throws Exception {
        int[] ids = {50256, 464, 3797, 3332, 319, 262, 2603};
        ObjectNode req = LoupeClient.request().put("layer", 1).put("head", 3).put("key_position", 2).put("top_k", 5);
        var t = req.putArray("tokens");
        for (int id : ids) t.add(id);
        JsonNode r = client.post("/v1/attribute/qk", req);
        QkAttribution lib = QkAttribution.of(model.transformer(), tc, ids, 1, 3, ids.length - 1, 2, 32);
        assertEquals(ids.length - 1, r.get("query_position").asInt(), "the query defaults to the last token");
        assertEquals(lib.score(), r.get("score").asDouble(), 1e-6);
        List<QkAttribution.Pair> top = lib.topPairs(5);
        assertEquals(top.size(), r.get("pairs").size());
        for (int i = 0; i < top.size(); i++) {
            JsonNode p = r.get("pairs").get(i);
            assertEquals(lib.nodeId(top.get(i).querySource()), p.get("query").get("node_id").asText());
            assertEquals(lib.nodeId(top.get(i).keySource()), p.get("key").get("node_id").asText());
            assertEquals(top.get(i).value(), p.get("value").asDouble(), 1e-6);
        }
        req.put("key_position", ids.length);
        LoupeClient.ApiException bad = org.junit.jupiter.api.Assertions.assertThrows(LoupeClient.ApiException.class, () -> client.post("/v1/attribute/qk", req));
        assertEquals(400, bad.status(), "a key after the query is a 400");
        req.remove("head");
        assertEquals(400, org.junit.jupiter.api.Assertions.assertThrows(LoupeClient.ApiException.class, () -> client.post("/v1/attribute/qk", req)).status());
    }

    private static int firstLogit(JsonNode g) {
        for (JsonNode n : g.get("nodes")) if (n.get("is_target_logit").asBoolean()) return n.get("feature").asInt();
        return -1;
    }

    @Test
    void pythonClientAttributesAndIntervenes() throws Exception {
        String python = PythonClientTest.findPython();
        assumeTrue(python != null, "no python3 with numpy; skipping");
        String script = """
                import loupe, sys
                c = loupe.connect(sys.argv[1], sys.argv[2])
                g = c.attribute(tokens=[50256, 464, 3797, 3332, 319, 262, 2603])
                assert g["metadata"]["prompt_ids"][0] == 50256
                assert 0 <= g["metadata"]["replacement_score"] <= 1, g["metadata"]
                feats = [n for n in g["nodes"] if n["feature_type"] == "cross layer transcoder"]
                r = c.intervene_features([(1, 3, 5, 10.0)], tokens=g["metadata"]["prompt_ids"], top_k=3)
                assert len(r["clean"]) == 3 and len(r["edited"]) == 3
                z = c.intervene_features([{"layer": 0, "position": 2, "feature": 1, "op": "zero"}], tokens=[50256, 464, 3797], freeze_attention=True,
                                         constrained_layers=(0, 1))
                f = c.transcoder_feature(1, 5)
                qk = c.attribute_qk(1, 3, 2, tokens=[50256, 464, 3797, 3332, 319, 262, 2603], top_k=2)
                assert qk["query_position"] == 6 and len(qk["pairs"]) == 2 and qk["pairs"][0]["query"]["node_id"], qk
                print("ok", len(g["nodes"]), len(g["links"]), r["edited"][0]["id"], len(f["promotes"]))
                """;
        Path dir = Files.createTempDirectory("loupe-py");
        Files.writeString(dir.resolve("check.py"), script);
        ProcessBuilder pb = new ProcessBuilder(python, dir.resolve("check.py").toString(), "http://127.0.0.1:" + server.port(), TestServer.KEY)
                .redirectErrorStream(true);
        pb.environment().put("PYTHONPATH", PythonClientTest.CLIENT.toAbsolutePath().toString());
        Process proc = pb.start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        proc.waitFor(120, TimeUnit.SECONDS);
        assertEquals(0, proc.exitValue(), out);
        ObjectNode req = LoupeClient.request().put("top_k", 3);
        var t = req.putArray("tokens");
        for (int id : new int[] {50256, 464, 3797, 3332, 319, 262, 2603}) t.add(id);
        req.putArray("edits").addObject().put("layer", 1).put("position", 3).put("feature", 5).put("op", "set").put("value", 10.0);
        JsonNode r = client.post("/v1/features/intervene", req);
        assertTrue(out.startsWith("ok"), out);
        assertEquals(r.get("edited").get(0).get("id").asText(), out.trim().split(" ")[3], out);
    }
}
