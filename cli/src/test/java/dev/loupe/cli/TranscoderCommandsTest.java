package dev.loupe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.SharedModels;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.CrossLayerTranscoder;
import dev.loupe.sae.transcoder.SaeLensTranscoder;
import dev.loupe.sae.transcoder.Transcoder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transcoder workflow end to end on stories260K: {@code collect --mlp-pairs} → {@code sae train --kind clt|skip_transcoder}
 * from the store → {@code attribute} and {@code sae eval --transcoders} read what training wrote.
 */
class TranscoderCommandsTest {
    @TempDir
    Path dir;

    @Test
    void collectTrainAttributeAndEvaluate() throws Exception {
        String model = SharedModels.path("stories260K").resolve("stories260K.bin").toString();
        Path brown = SharedModels.data("brown.jsonl");
        Path data = dir.resolve("docs.jsonl");
        try (var lines = Files.lines(brown)) {
            Files.write(data, lines.limit(4).toList());
        }
        Path store = dir.resolve("store");
        CliRunner c = CliRunner.run("collect", "--model", model, "--data", data.toString(), "--mlp-pairs", "all", "--context", "64",
                "--max-tokens", "4096", "--out", store.toString());
        assertEquals(0, c.exitCode(), c.err());
        String manifest = Files.readString(store.resolve("manifest.json"));
        assertTrue(manifest.contains("blocks.4.ln2.hook_normalized") && manifest.contains("blocks.0.hook_mlp_out"), manifest);
        CliRunner v = CliRunner.run("verify", store.toString());
        assertEquals(0, v.exitCode(), v.err());
        assertTrue(v.out().startsWith("ok: ") && v.err().contains("verify [") && v.err().contains("100.0%"), "a progress bar: " + v.err());

        Path clt = dir.resolve("clt");
        CliRunner t = CliRunner.run("sae", "train", "--kind", "clt", "--model", model, "--store", store.toString(), "--d-sae", "32", "--k", "4",
                "--steps", "20", "--batch", "256", "--lr", "3e-3", "--out", clt.toString());
        assertEquals(0, t.exitCode(), t.err());
        CrossLayerTranscoder read = (CrossLayerTranscoder) CircuitTracerFormat.read(clt);
        assertEquals(5, read.nLayers());
        assertEquals(32, read.width());

        Path graph = dir.resolve("graph");
        CliRunner a = CliRunner.run("attribute", "--model", model, "--transcoders", clt.toString(), "--prompt", "Once upon a time", "--out", graph.toString());
        assertEquals(0, a.exitCode(), a.err());
        assertTrue(Files.exists(graph.resolve("graph.json")) && a.out().contains("replacement score"), a.out());

        CliRunner e = CliRunner.run("sae", "eval", "--model", model, "--transcoders", clt.toString(), "--data", data.toString(), "--batches", "1",
                "--batch-size", "2");
        assertEquals(0, e.exitCode(), e.err());
        assertTrue(e.out().contains("CE recovered") && e.out().contains("FVU"), e.out());
        assertTrue(e.err().contains("transcoder eval [") && e.err().contains("100.0%"), "a progress bar: " + e.err());

        Path skip = dir.resolve("skip");
        CliRunner s = CliRunner.run("sae", "train", "--kind", "skip_transcoder", "--layers", "3", "--arch", "jumprelu", "--model", model, "--store",
                store.toString(), "--d-sae", "32", "--steps", "5", "--batch", "128", "--out", skip.toString());
        assertEquals(0, s.exitCode(), s.err());
        Transcoder one = SaeLensTranscoder.read(skip);
        assertEquals(3, one.layer());
        assertTrue(one.wSkip() != null && one.threshold() != null);

        CliRunner bad = CliRunner.run("sae", "train", "--kind", "clt", "--layers", "1", "--model", model, "--store", store.toString(), "--out",
                dir.resolve("x").toString());
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("no SAELens layout"), bad.err());
    }
}
