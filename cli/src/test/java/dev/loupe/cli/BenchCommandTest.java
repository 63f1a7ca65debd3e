package dev.loupe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.format.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void makesALoadableGpt2AndReportsForwardAndDecode() throws Exception {
        Path model = dir.resolve("m");
        run("bench", "make-model", "--out", model.toString(), "--layers", "2", "--d-model", "32", "--heads", "4",
                "--vocab", "97", "--ctx", "40", "--seed", "7");
        LoadedModel m = ModelLoader.load(model.toString(), null);
        assertEquals(2, m.transformer().config().nLayers());
        assertEquals(97, m.transformer().config().dVocab());

        JsonNode fwd = result(run("bench", "forward", "--model", model.toString(), "--batch", "2", "--pos", "5",
                "--cache", "blocks.*.hook_resid_post", "--warmup", "0", "--iters", "3"));
        assertEquals("forward", fwd.get("bench").asText());
        assertEquals(3, fwd.get("samples_tok_s").size());
        assertTrue(fwd.get("best_tok_s").asDouble() >= fwd.get("median_tok_s").asDouble());
        assertTrue(fwd.get("peak_heap_mib").asLong() > 0);
        assertTrue(fwd.get("jvm_baseline_mib").asLong() > 0, "the same command on the bundled model was measured");
        assertEquals(fwd.get("rss_bound_mib").asLong() >= fwd.get("peak_rss_mib").asLong(), fwd.get("rss_bound_holds").asBoolean());

        JsonNode dec = result(run("bench", "decode", "--model", model.toString(), "--tokens", "6", "--prompt-len", "2",
                "--warmup", "0", "--iters", "1", "--read-mib", "8"));
        assertEquals(6, dec.get("generated").size());
        assertEquals(2, dec.get("ids").size());
        assertTrue(dec.get("read_gb_s").asDouble() > 0 && dec.get("bandwidth_pct").asDouble() > 0);
        assertTrue(dec.get("read_gb_s_min").asDouble() <= dec.get("read_gb_s").asDouble()
                && dec.get("read_gb_s").asDouble() <= dec.get("read_gb_s_max").asDouble(), "median within the passes' spread");
        assertEquals(8, dec.get("read_mib").asInt());
        assertTrue(dec.has("weights_mib") && dec.has("activations_mib") && dec.has("rss_bound_holds"));
        assertTrue(dec.get("jvm_baseline_mib").asLong() > 0, "the same decode on the bundled model was measured");
        assertEquals(m.transformer().weights().parameters().values().stream().filter(t -> t.rank() == 2 && !t.hasData())
                .mapToLong(t -> t.residentBytes()).sum(), dec.get("weight_bytes_per_token").asLong(),
                "every packed matrix streamed once (the unembedding is the tied token table)");
    }

    @Test
    void shapesHaveThePublishedParameterCounts() {
        long[][] published = {{124_439_808L}, {1_235_814_400L}, {596_049_920L}, {2_614_341_888L}, {8_030_261_248L}};
        ModelShape[] shapes = {ModelShape.GPT2_SMALL, ModelShape.LLAMA_3_2_1B, ModelShape.QWEN3_0_6B, ModelShape.GEMMA_2_2B,
                ModelShape.LLAMA_3_1_8B};
        for (int i = 0; i < shapes.length; i++) assertEquals(published[i][0], shapes[i].parameters(), shapes[i].id);
        assertEquals(ModelShape.QWEN3_0_6B, ModelShape.byName("qwen3-0.6b"));
    }

    @Test
    void aBf16ModelWithItsTokenizerLoadsKept16Bit() throws Exception {
        Path model = dir.resolve("bf16");
        run("bench", "make-model", "--out", model.toString(), "--layers", "1", "--d-model", "16", "--heads", "2",
                "--vocab", "300", "--ctx", "8", "--dtype", "bf16");
        dev.loupe.model.tokenizer.TrainedBpe.synthetic(300).write(model.resolve("tokenizer.json"));
        LoadedModel m = ModelLoader.load(model.toString(), null);
        assertEquals(300, m.requireTokenizer().vocabSize());
        var qkv = m.transformer().weights().blocks().get(0).attn().qkv().weight();
        assertEquals(dev.loupe.core.kernels.PackedMatrix.Precision.BF16, qkv.packedTranspose().precision());
        assertEquals(qkv.packedTranspose().bytes(), qkv.residentBytes(), "BF16 weights held only as 16-bit panels");
        int[] ids = m.tokens("hello world");
        assertEquals("hello world", m.requireTokenizer().decode(ids));
    }

    @Test
    void sameSeedWritesTheSameWeights() throws Exception {
        for (String name : new String[] {"a", "b"}) {
            run("bench", "make-model", "--out", dir.resolve(name).toString(), "--layers", "1", "--d-model", "8", "--heads", "2",
                    "--vocab", "11", "--ctx", "4", "--seed", "3");
        }
        assertEquals(-1L, Files.mismatch(dir.resolve("a/model.safetensors"), dir.resolve("b/model.safetensors")));
    }

    private static String run(String... argv) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run(argv), () -> out.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static JsonNode result(String output) throws Exception {
        String line = output.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow();
        return Json.MAPPER.readTree(line.substring("RESULT ".length()));
    }
}
