package dev.loupe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.WeightStore;
import dev.loupe.model.hooks.ActivationCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime CLI contract: generate, run, hooks, tokenize, and their errors. */
class RuntimeCommandsTest {
    @TempDir
    Path dir;

    @Test
    void greedyFromBosPrintsLlama2csStory() throws Exception {
        String expected = Files.readString(SharedModels.path("stories260K/expected-greedy-200.txt"));
        CliRunner bin = CliRunner.run("generate", "--model", SharedModels.path("stories260K/stories260K.bin").toString(),
                "--prompt", "", "--max-tokens", "200");
        assertEquals(0, bin.exitCode(), bin.err());
        assertEquals(expected, bin.out());
        CliRunner hf = CliRunner.run("generate", "--model", SharedModels.path("stories260K-hf").toString(),
                "--tokenizer", SharedModels.path("stories260K/tok512.bin").toString(), "--prompt", "", "--max-tokens", "200");
        assertEquals(expected, hf.out());
    }

    @Test
    void runWritesCachedActivationsLogitsAndGradients() throws Exception {
        Path out = dir.resolve("acts.safetensors");
        String model = SharedModels.path("gpt2-tiny-random").toString();
        CliRunner r = CliRunner.run("run", "--model", model, "--prompt", "Hello world, again", "--cache", "blocks.*.hook_resid_post",
                "--grad", "loss", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        HookedTransformer m = SharedModels.load("gpt2-tiny-random");
        try (WeightStore s = SafeTensors.open(out)) {
            long[] ids = s.longs("input_ids");
            int[][] tokens = {java.util.Arrays.stream(ids).mapToInt(Math::toIntExact).toArray()};
            ActivationCache cache = new ActivationCache();
            Tensor logits = m.runWithCache(tokens, List.of("blocks.1.hook_resid_post"), cache);
            assertArrayEquals(cache.get("blocks.1.hook_resid_post").data(), s.tensor("blocks.1.hook_resid_post").data());
            assertArrayEquals(new int[] {1, tokens[0].length, 64}, s.info("blocks.0.hook_resid_post").shape());
            assertArrayEquals(logits.data(), s.tensor("logits").data());
            assertTrue(s.contains("grad.blocks.0.hook_resid_post") && s.contains("grad.logits") && s.contains("loss"), s.names().toString());
        }
    }

    @Test
    void meansShowsProgressAndWritesOneMeanPerHook() throws Exception {
        Path data = dir.resolve("docs.txt"), out = dir.resolve("means.safetensors");
        Files.writeString(data, "The cat sat on the mat.\nA dog ran in the park.\nIt rained all day long.\n");
        CliRunner r = CliRunner.run("means", "--model", SharedModels.path("gpt2-tiny-random").toString(), "--data", data.toString(), "--hook",
                "blocks.0.hook_resid_post", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("means [") && r.err().contains("100.0%"), "a progress bar: " + r.err());
        try (WeightStore s = SafeTensors.open(out)) {
            assertArrayEquals(new int[] {64}, s.info("blocks.0.hook_resid_post").shape());
        }
    }

    @Test
    void hooksAndTokenize() {
        String model = SharedModels.path("gpt2-tiny-random").toString();
        CliRunner hooks = CliRunner.run("hooks", "--model", model);
        assertEquals(0, hooks.exitCode(), hooks.err());
        List<String> lines = hooks.out().lines().toList();
        assertTrue(lines.getFirst().startsWith("hook_embed") && lines.getLast().startsWith("ln_final.hook_normalized"), hooks.out());
        assertTrue(hooks.out().contains("blocks.1.attn.hook_pattern") && hooks.out().contains("[batch, n_heads=4, query_pos, key_pos]"));
        CliRunner tok = CliRunner.run("tokenize", "--model", model, "--text", "Hello world");
        assertEquals("15496,995\n", tok.out());
    }

    @Test
    void errorsNameWhatIsWrong() {
        String model = SharedModels.path("gpt2-tiny-random").toString();
        CliRunner missing = CliRunner.run("generate", "--model", dir.resolve("nothing-here").toString(), "--prompt", "x", "--max-tokens", "2");
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("nothing-here"), missing.err());
        CliRunner hook = CliRunner.run("run", "--model", model, "--ids", "1,2", "--cache", "blocks.0.hook_rezid_post", "--out",
                dir.resolve("x.safetensors").toString());
        assertTrue(hook.err().contains("unknown hook 'blocks.0.hook_rezid_post'") && hook.err().contains("blocks.0.hook_resid_post"), hook.err());
        assertTrue(!Files.exists(dir.resolve("x.safetensors")), "nothing written on error");
        String tooLong = "1" + ",1".repeat(200);
        CliRunner ctx = CliRunner.run("run", "--model", model, "--ids", tooLong, "--out", dir.resolve("y.safetensors").toString());
        assertTrue(ctx.err().contains("longer than the model's context of 128"), ctx.err());
        CliRunner usage = CliRunner.run("generate", "--model", model, "--prompt", "x");
        assertEquals(2, usage.exitCode());
        assertTrue(usage.err().contains("--max-tokens"), usage.err());
        CliRunner unknown = CliRunner.run("generate", "--modle", model);
        assertTrue(unknown.err().contains("unknown option --modle"), unknown.err());
    }
}
