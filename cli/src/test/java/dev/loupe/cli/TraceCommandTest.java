package dev.loupe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.hooks.ActivationCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code loupe trace}: a graph file run in process, its saved values written; a bad graph's error names the node. */
class TraceCommandTest {
    @Test
    void runsAGraphAndNamesTheNodeOfAnError(@TempDir Path dir) throws Exception {
        String model = SharedModels.path("gpt2-tiny-random").toString();
        Path graph = dir.resolve("g.json"), out = dir.resolve("out.safetensors");
        Files.writeString(graph, """
            {"version": 1, "invokes": [{"tokens": [5, 6, 7, 8, 9]}], "nodes": [
             {"op": "hook", "hook": "blocks.1.hook_resid_post"}, {"op": "save", "in": [0], "name": "resid"},
             {"op": "hook", "hook": "logits"}, {"op": "index", "in": [2], "index": [0, -1]}, {"op": "argmax", "in": [3]},
             {"op": "save", "in": [4], "name": "next"}]}""");
        CliRunner r = CliRunner.run("trace", "--model", model, "--graph", graph.toString(), "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        LoadedModel m = ModelLoader.load(model, null);
        ActivationCache c = new ActivationCache();
        m.transformer().runWithCache(new int[][] {{5, 6, 7, 8, 9}}, List.of("blocks.1.hook_resid_post"), c);
        try (var w = SafeTensors.read("out", Files.readAllBytes(out))) {
            assertArrayEquals(c.get("blocks.1.hook_resid_post").data(), w.tensor("resid").data());
        }
        Files.writeString(graph, """
            {"version": 1, "invokes": [{"tokens": [5, 6, 7]}], "nodes": [{"op": "hook", "hook": "blocks.7.hook_resid_post", "line": "x.py:3"}]}""");
        CliRunner bad = CliRunner.run("trace", "--model", model, "--graph", graph.toString(), "--out", dir.resolve("bad.safetensors").toString());
        assertEquals(1, bad.exitCode());
        assertTrue(bad.err().contains("node 0 (x.py:3): unknown hook 'blocks.7.hook_resid_post'"), bad.err());
    }
}
