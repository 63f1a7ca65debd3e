package dev.loupe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.circuits.QkAttribution;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.WeightStore;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code loupe attribute} writes the unpruned graph (equal to the reference) and a pruned front-end graph.json. */
class AttributeCommandTest {
    @TempDir
    Path dir;

    /** The ids of circuits-tiny's reference prompt. */
    private static JsonNode referencePrompt() throws IOException {
        return Json.MAPPER.readTree(SharedModels.path("circuits-tiny/prompt.json").toFile()).get("ids");
    }

    /** {@code loupe attribute} on gpt2-tiny-random with the reference JumpReLU transcoders and prompt, into {@code out}. */
    private static CliRunner attributeReferencePrompt(Path out, String... extra) throws Exception {
        StringBuilder ids = new StringBuilder();
        for (JsonNode id : referencePrompt()) ids.append(ids.isEmpty() ? "" : ",").append(id.asInt());
        List<String> args = new ArrayList<>(List.of("attribute", "--model", SharedModels.path("gpt2-tiny-random").toString(),
                "--transcoders", SharedModels.path("circuits-tiny/plt-jumprelu").toString(), "--ids", ids.toString(), "--out", out.toString()));
        args.addAll(List.of(extra));
        return CliRunner.run(args.toArray(String[]::new));
    }

    @Test
    void adjacencyRowsHoldTheDenseMatrixsNonzeroRows() throws Exception {
        Path out = dir.resolve("rows");
        CliRunner r = attributeReferencePrompt(out, "--adjacency", "rows");
        assertEquals(0, r.exitCode(), r.err());
        try (WeightStore got = SafeTensors.open(out.resolve("graph.safetensors"));
             WeightStore want = SafeTensors.open(SharedModels.path("circuits-tiny/plt-jumprelu.graph.safetensors"))) {
            float[] dense = want.tensor("adjacency").data(), rows = got.tensor("adjacency_rows").data();
            long[] nodes = got.longs("adjacency_row_nodes");
            int n = (int) Math.round(Math.sqrt(dense.length));
            float[] rebuilt = new float[dense.length];
            for (int r2 = 0; r2 < nodes.length; r2++) System.arraycopy(rows, r2 * n, rebuilt, (int) nodes[r2] * n, n);
            assertArrayEquals(dense, rebuilt, 1e-4f); // every other row of the reference is zero
        }
        assertEquals(2, CliRunner.run("attribute", "--model", SharedModels.path("gpt2-tiny-random").toString(), "--transcoders", SharedModels.path("circuits-tiny/plt-jumprelu").toString(),
                "--ids", "1,2", "--adjacency", "sparse", "--out", out.toString()).exitCode());
    }

    @Test
    void writesTheReferenceGraphAndAPrunedJson() throws Exception {
        JsonNode prompt = referencePrompt();
        Path out = dir.resolve("g");
        CliRunner r = attributeReferencePrompt(out);
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("replacement score") && r.out().contains("completeness score"), r.out());
        try (WeightStore got = SafeTensors.open(out.resolve("graph.safetensors"));
             WeightStore want = SafeTensors.open(SharedModels.path("circuits-tiny/plt-jumprelu.graph.safetensors"))) {
            assertArrayEquals(want.longs("active_features"), got.longs("active_features"));
            assertArrayEquals(want.longs("logit_targets"), got.longs("logit_targets"));
            assertArrayEquals(want.tensor("adjacency").data(), got.tensor("adjacency_matrix").data(), 1e-4f);
            int n = got.longs("active_features").length / 3;
            assertEquals(n, got.longs("selected_features").length);
        }
        JsonNode g = Json.MAPPER.readTree(out.resolve("graph.json").toFile());
        assertEquals(0.8, g.get("metadata").get("node_threshold").asDouble());
        assertEquals(prompt.size(), g.get("metadata").get("prompt_tokens").size());
        Set<String> ids2 = new HashSet<>();
        int logits = 0, embeddings = 0;
        for (JsonNode node : g.get("nodes")) {
            assertTrue(ids2.add(node.get("node_id").asText()), "duplicate node id " + node.get("node_id"));
            String type = node.get("feature_type").asText();
            if (type.equals("logit")) logits++;
            if (type.equals("embedding")) embeddings++;
            if (type.equals("cross layer transcoder")) {
                String[] parts = node.get("node_id").asText().split("_");
                assertEquals(node.get("layer").asText(), parts[0]);
                assertEquals(node.get("feature").asInt(), Integer.parseInt(parts[1]));
                assertEquals(node.get("ctx_idx").asInt(), Integer.parseInt(parts[2]));
            }
        }
        assertEquals(prompt.size(), embeddings, "every token node stays");
        assertTrue(logits >= 1);
        assertTrue(g.get("links").size() > 0);
        for (JsonNode link : g.get("links")) assertTrue(ids2.contains(link.get("source").asText()) && ids2.contains(link.get("target").asText()));
    }

    @Test
    void generateAppliesFeatureEditsFromTheSpec() throws Exception {
        String model = SharedModels.path("gpt2-tiny-random").toString(), tc = SharedModels.path("circuits-tiny/plt-skip").toString();
        Path spec = dir.resolve("spec.json");
        java.nio.file.Files.writeString(spec, """
                {"version": 1, "interventions": [],
                 "features": {"edits": [{"layer": 1, "position": 2, "feature": 5, "op": "set", "value": 400.0}]}}
                """);
        CliRunner plain = CliRunner.run("generate", "--model", model, "--prompt", "Hello there my", "--max-tokens", "4");
        CliRunner edited = CliRunner.run("generate", "--model", model, "--prompt", "Hello there my", "--max-tokens", "4",
                "--interventions", spec.toString(), "--transcoders", tc);
        assertEquals(0, edited.exitCode(), edited.err());
        assertTrue(!plain.out().equals(edited.out()), "a large feature edit changes the greedy continuation: " + plain.out());
        java.nio.file.Files.writeString(spec, """
                {"version": 1, "interventions": [],
                 "features": {"edits": [{"layer": 1, "position": 2, "feature": 5, "op": "zero"}], "freeze_attention": true}}
                """);
        CliRunner frozen = CliRunner.run("generate", "--model", model, "--prompt", "Hello there my", "--max-tokens", "4",
                "--interventions", spec.toString(), "--transcoders", tc);
        assertEquals(2, frozen.exitCode(), frozen.out());
        assertTrue(frozen.err().contains("freeze_attention"), frozen.err());
    }

    @Test
    void qkWritesTheLibrarysTopPairs() throws Exception {
        JsonNode prompt = referencePrompt();
        int[] ids = new int[prompt.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = prompt.get(i).asInt();
        String csv = java.util.Arrays.stream(ids).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(","));
        String model = SharedModels.path("gpt2-tiny-random").toString(), tc = SharedModels.path("circuits-tiny/plt-skip").toString();
        Path out = dir.resolve("qk");
        CliRunner r = CliRunner.run("attribute", "--model", model, "--transcoders", tc, "--ids", csv, "--qk", "1.2@11,5", "--top", "4", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        QkAttribution lib = QkAttribution.of(SharedModels.load("gpt2-tiny-random"), CircuitTracerFormat.read(Path.of(tc)), ids, 1, 2, 11, 5, 32);
        JsonNode qk = Json.MAPPER.readTree(out.resolve("qk.json").toFile());
        assertEquals(lib.score(), qk.get("score").asDouble(), 1e-6);
        assertEquals(4, qk.get("pairs").size());
        QkAttribution.Pair best = lib.topPairs(1).getFirst();
        assertEquals(lib.nodeId(best.querySource()), qk.get("pairs").get(0).get("query").get("node_id").asText());
        assertEquals(lib.nodeId(best.keySource()), qk.get("pairs").get(0).get("key").get("node_id").asText());
        assertEquals(best.value(), qk.get("pairs").get(0).get("value").asDouble(), 1e-6);
        assertTrue(r.out().contains(lib.label(best.querySource())) && r.out().contains("score"), r.out());

        CliRunner bad = CliRunner.run("attribute", "--model", model, "--transcoders", tc, "--ids", csv, "--qk", "1.2@5,11");
        assertEquals(2, bad.exitCode(), bad.out());
        assertTrue(bad.err().contains("key"), bad.err());
        CliRunner form = CliRunner.run("attribute", "--model", model, "--transcoders", tc, "--ids", csv, "--qk", "1:2");
        assertTrue(form.err().contains("LAYER.HEAD@QUERY_POS,KEY_POS"), form.err());
    }
}
