package dev.loupe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
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

        JsonNode dec = result(run("bench", "decode", "--model", model.toString(), "--tokens", "6", "--prompt-len", "2",
                "--warmup", "0", "--iters", "1"));
        assertEquals(6, dec.get("generated").size());
        assertEquals(2, dec.get("ids").size());
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
        return new ObjectMapper().readTree(line.substring("RESULT ".length()));
    }
}
