package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.GradientRun;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.generate.Generator;
import dev.loupe.model.generate.Sampling;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.server.http.Body;
import dev.loupe.server.wire.NamedTensor;
import dev.loupe.server.wire.Npy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python client (standard library + numpy) against a live server on loopback: cache, reductions, steering,
 * streamed generation and gradients equal in-process results bit for bit; then the example notebook's cells run
 * end to end with plain python. Skipped when no python3 with numpy is installed.
 */
class PythonClientTest {
    static final Path CLIENT = Path.of("clients/python");
    static TestServer ts;
    static String python;

    @BeforeAll
    static void start() throws Exception {
        python = findPython();
        assumeTrue(python != null, "no python3 with numpy (apt-get install python3-numpy); skipping the Python client test");
        ts = new TestServer();
    }

    @AfterAll
    static void stop() {
        if (ts != null) ts.close();
    }

    static String findPython() throws InterruptedException {
        for (String p : List.of("python3", "/usr/bin/python3")) {
            try {
                Process pr = new ProcessBuilder(p, "-c", "import numpy").redirectErrorStream(true).start();
                pr.getInputStream().readAllBytes();
                if (pr.waitFor() == 0) return p;
            } catch (IOException e) {
                // not installed: try the next
            }
        }
        return null;
    }

    static void npy(Path dir, String name, float[] data, int... shape) throws IOException {
        Files.write(dir.resolve(name + ".npy"), Npy.encode(NamedTensor.ofFloats(name, data, shape)));
    }

    static String python(Path dir, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(python));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("LOUPE_URL", ts.uri().toString());
        pb.environment().put("LOUPE_API_KEY", TestServer.KEY);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(120, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void clientMatchesTheLibrary(@TempDir Path expected) throws Exception {
        HookedTransformer m = ts.model.transformer();
        int[] ids = ts.model.tokens("Once upon a time, there was a little girl");
        ActivationCache cache = new ActivationCache();
        Tensor logits = m.runWithCache(new int[][] {ids}, List.of("blocks.3.hook_resid_post"), cache);
        Tensor resid = cache.get("blocks.3.hook_resid_post");
        npy(expected, "resid_post_3", resid.data(), resid.size(1), resid.size(2));
        npy(expected, "logits", logits.data(), logits.size(1), logits.size(2));
        Files.write(expected.resolve("tokens.npy"), Npy.encode(NamedTensor.ofInts("tokens", ids)));
        float[] v = new float[m.config().dModel()];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.cos(i * 0.7);
        npy(expected, "steer_vector", v, v.length);
        Hooks steer = ts.interventions("[{\"hook\": \"blocks.2.hook_resid_post\", \"op\": \"add\", \"scale\": 3.0, \"vector\": " + java.util.Arrays.toString(v) + "}]").build();
        Tensor steered = m.forward(new int[][] {ids}, steer, null, ForwardOptions.FULL);
        npy(expected, "steered_logits", steered.data(), steered.size(1), steered.size(2));
        int[] gen = new Generator(m).generate(new int[][] {ts.model.tokens("Once upon a time")}, 24, Sampling.GREEDY, ts.model.tokenizer().eosId(),
                Hooks.none(m.hooks()), null)[0];
        Files.write(expected.resolve("generated.npy"), Npy.encode(NamedTensor.ofInts("generated", gen)));
        GradientRun g = GradientRun.ofLoss(m, new int[][] {ids}, List.of("blocks.0.hook_resid_pre"));
        npy(expected, "loss", g.value().data(), 1);
        Tensor grad = g.gradients().get("blocks.0.hook_resid_pre");
        npy(expected, "grad_resid_pre_0", grad.data(), grad.size(1), grad.size(2));
        String out = python(CLIENT.toAbsolutePath(), List.of("tests/live_check.py", ts.uri().toString(), TestServer.KEY, expected.toString()));
        assertEquals(true, out.contains("8 passed, 0 failed"), out);
    }

    /** Runs the example notebook's code cells in order, in one python process (as a kernel would). */
    @Test
    void exampleNotebookRunsEndToEnd(@TempDir Path tmp) throws Exception {
        JsonNode nb = Body.JSON.readTree(CLIENT.resolve("examples/loupe-tour.ipynb").toFile());
        StringBuilder src = new StringBuilder();
        for (JsonNode cell : nb.get("cells")) {
            if (!cell.get("cell_type").asText().equals("code")) continue;
            for (JsonNode line : cell.get("source")) src.append(line.asText());
            src.append("\n\n");
        }
        Path script = tmp.resolve("notebook.py");
        Files.writeString(script, src.toString());
        String out = python(CLIENT.resolve("examples").toAbsolutePath(), List.of(script.toString()));
        assertEquals(true, out.contains("steered:") && out.contains("loss"), out);
    }
}
