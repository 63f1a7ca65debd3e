package dev.loupe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.SharedModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code loupe steer build} then {@code loupe generate --steer / --interventions} on the pretrained stories260K. */
class SteerCommandTest {
    private static final Path MODEL = SharedModels.ROOT.resolve("stories260K/stories260K.bin");

    /** Runs the CLI; returns exit code and what it printed on stdout and stderr. */
    private static String[] run(String... argv) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(argv);
            return new String[] {Integer.toString(code), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void buildThenSteerAndIntervene(@TempDir Path dir) throws Exception {
        SharedModels.path("stories260K/stories260K.bin");
        Path pairs = dir.resolve("pairs.jsonl"), vec = dir.resolve("happy.safetensors"), spec = dir.resolve("spec.json");
        Files.writeString(pairs, """
            {"positive": "Lily was very happy.", "negative": "Lily was very sad."}
            {"positive": "Tom felt happy and smiled.", "negative": "Tom felt sad and cried."}
            """);
        String[] built = run("steer", "build", "--model", MODEL.toString(), "--pairs", pairs.toString(), "--hook", "blocks.3.hook_resid_post",
                "--out", vec.toString());
        assertEquals("0", built[0], built[2]);
        String[] plain = run("generate", "--model", MODEL.toString(), "--prompt", "Once upon a time", "--max-tokens", "40");
        String[] zero = run("generate", "--model", MODEL.toString(), "--prompt", "Once upon a time", "--max-tokens", "40", "--steer", vec + ":0");
        String[] steered = run("generate", "--model", MODEL.toString(), "--prompt", "Once upon a time", "--max-tokens", "40", "--steer", vec + ":-4");
        assertEquals(plain[1], zero[1]);
        assertTrue(!plain[1].equals(steered[1]), steered[1]);

        Files.writeString(spec, """
            {"version": 1, "interventions": [{"hook": "blocks.3.hook_resid_post", "op": "add", "vector": {"ref": "vector"}, "scale": -4}]}
            """);
        String[] viaSpec = run("generate", "--model", MODEL.toString(), "--prompt", "Once upon a time", "--max-tokens", "40",
                "--interventions", spec.toString(), "--tensors", vec.toString());
        assertEquals(steered[1], viaSpec[1]);

        Files.writeString(spec, "{\"version\": 1, \"interventions\": [{\"hook\": \"blocks.3.hook_resid_post\", \"op\": \"add\", \"vector\": [1, 2]}]}");
        String[] bad = run("generate", "--model", MODEL.toString(), "--prompt", "Once", "--max-tokens", "4", "--interventions", spec.toString());
        assertEquals("1", bad[0]);
        assertTrue(bad[2].contains("spec.json: interventions[0].vector: vector has 2 values but blocks.3.hook_resid_post has width d_model=64"), bad[2]);
    }
}
