package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.GradientRun;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.KvCache;
import dev.loupe.model.generate.Sampler;
import dev.loupe.model.generate.Sampling;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.HookFn;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.sae.Sae;
import dev.loupe.server.api.Limits;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trace notebook ({@code clients/python/examples/trace-tour.ipynb}) executed by nbclient in a real Jupyter kernel
 * against a live server on loopback, every number checked against the in-process library bit for bit: run with cache
 * on three prompts, activation patching at every layer × position from stored clean values, zero- and mean-ablation
 * of a head, steering during generation changing at step 5, gradient × activation, logit lens, an SAE feature and its
 * clamping; and hostile graphs refused naming the node. Skipped (with the reason) without Debian's python3-nbclient,
 * python3-ipykernel and python3-numpy.
 */
class TraceNotebookTest {
    static final Path CLIENT = Path.of("clients/python");
    static final String[] PROMPTS = {"Once upon a time", "Lily saw a big dog in the park", "Tom was sad"};
    static final int LAYER = 1, HEAD = 3;

    static String findPython() throws InterruptedException {
        for (String p : List.of("/usr/bin/python3", "python3")) {
            try {
                Process pr = new ProcessBuilder(p, "-c", "import numpy, nbclient, nbformat, ipykernel").redirectErrorStream(true).start();
                pr.getInputStream().readAllBytes();
                if (pr.waitFor() == 0) return p;
            } catch (IOException e) {
                // not installed: try the next
            }
        }
        return null;
    }

    @Test
    void notebookMatchesTheLibraryBitForBit(@TempDir Path tmp) throws Exception {
        String python = findPython();
        assumeTrue(python != null, "no python3 with numpy, nbclient and ipykernel (apt-get install python3-numpy python3-nbclient python3-ipykernel); "
                + "skipping the trace notebook test");
        Path saeDir = tmp.resolve("tiny");
        Sae sae = TinySae.write(saeDir);
        try (TestServer ts = new TestServer(Limits.DEFAULT, 64, 256, List.of("tiny=" + saeDir))) {
            Path expected = Files.createDirectories(tmp.resolve("expected"));
            ObjectNode meta = expectations(ts, sae, expected);
            Files.writeString(expected.resolve("meta.json"), meta.toString());
            ProcessBuilder pb = new ProcessBuilder(python, CLIENT.resolve("tests/run_notebook.py").toAbsolutePath().toString(),
                    CLIENT.resolve("examples/trace-tour.ipynb").toAbsolutePath().toString()).redirectErrorStream(true);
            pb.environment().put("LOUPE_URL", ts.uri().toString());
            pb.environment().put("LOUPE_API_KEY", TestServer.KEY);
            pb.environment().put("LOUPE_EXPECTED", expected.toString());
            pb.environment().put("PATH", "/usr/bin:" + System.getenv("PATH"));
            pb.environment().put("PYDEVD_DISABLE_FILE_VALIDATION", "1");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), out);
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.contains("trace notebook: all checks passed"), out);
        }
    }

    static void npy(Path dir, String name, Tensor t, int... shape) throws IOException {
        Files.write(dir.resolve(name + ".npy"), Npy.encode(NamedTensor.ofFloats(name, t.data(), shape.length > 0 ? shape : t.shape())));
    }

    /** Everything the notebook computes, computed here with the library alone. */
    static ObjectNode expectations(TestServer ts, Sae sae, Path dir) throws IOException {
        HookedTransformer m = ts.model.transformer();
        int nL = m.config().nLayers(), vocab = m.config().dVocab(), d = m.config().dModel();
        ObjectNode meta = Body.JSON.createObjectNode();
        ArrayNode ps = meta.putArray("prompts");
        for (String p : PROMPTS) ps.add(p);

        for (int i = 0; i < PROMPTS.length; i++) { // run with cache
            ActivationCache c = new ActivationCache();
            Tensor logits = m.runWithCache(new int[][] {ts.model.tokens(PROMPTS[i])}, List.of("blocks.*.hook_resid_post"), c);
            for (String h : c.names()) npy(dir, "cache_" + i + "_" + h, c.get(h), c.get(h).size(1), d);
            npy(dir, "cache_" + i + "_logits", logits, logits.size(1), vocab);
        }

        int[] clean = ts.model.tokens(PROMPTS[1]);
        int[] corrupt = clean.clone();
        corrupt[3] = (corrupt[3] + 1) % vocab;
        meta.set("clean", ints(clean));
        meta.set("corrupt", ints(corrupt));
        ActivationCache cc = new ActivationCache();
        m.runWithCache(new int[][] {clean}, List.of("blocks.*.hook_resid_pre", "blocks.*.hook_resid_post"), cc);
        float[] grid = new float[nL * clean.length * vocab];
        for (int l = 0; l < nL; l++) { // patching, each (layer, position) alone
            Tensor src = cc.get("blocks." + l + ".hook_resid_pre");
            for (int p = 0; p < clean.length; p++) {
                int pos = p;
                Tensor logits = m.forward(new int[][] {corrupt}, Hooks.builder(m.hooks()).add("blocks." + l + ".hook_resid_pre", (x, ctx) -> {
                    Tensor y = x.copy();
                    System.arraycopy(src.data(), pos * d, y.data(), pos * d, d);
                    return y;
                }).build(), null, ForwardOptions.FULL);
                System.arraycopy(Ops.lastPosition(logits).data(), 0, grid, (l * clean.length + p) * vocab, vocab);
            }
        }
        npy(dir, "patch", Tensor.of(grid, nL, clean.length, vocab));

        int dh = m.config().dHead(), heads = m.config().nHeads();
        float[] mean = new float[dh];
        float[][] perPrompt = new float[PROMPTS.length][dh];
        for (int i = 0; i < PROMPTS.length; i++) { // mean of the head's z over positions (double sum, one rounding, float division)
            ActivationCache c = new ActivationCache();
            m.runWithCache(new int[][] {ts.model.tokens(PROMPTS[i])}, List.of("blocks." + LAYER + ".attn.hook_z"), c);
            Tensor z = c.get("blocks." + LAYER + ".attn.hook_z");
            int pos = z.size(1);
            for (int k = 0; k < dh; k++) {
                double s = 0;
                for (int p = 0; p < pos; p++) s += z.get(0, p, HEAD, k);
                perPrompt[i][k] = (float) s / (float) pos;
            }
        }
        for (int k = 0; k < dh; k++) mean[k] = ((perPrompt[0][k] + perPrompt[1][k]) + perPrompt[2][k]) / 3f;
        npy(dir, "head_mean", Tensor.of(mean, dh));
        for (String kind : List.of("zero", "mean")) {
            Tensor logits = m.forward(new int[][] {clean}, Hooks.builder(m.hooks()).add("blocks." + LAYER + ".attn.hook_z", (x, ctx) -> {
                Tensor y = x.copy();
                for (int p = 0; p < x.size(1); p++) for (int k = 0; k < dh; k++) y.set(kind.equals("zero") ? 0f : mean[k], 0, p, HEAD, k);
                return y;
            }).build(), null, ForwardOptions.FULL);
            npy(dir, "ablate_" + kind, Ops.lastPosition(logits), vocab);
        }
        assertEquals(8, heads);

        float[] v = new float[d]; // steering, greedy, scale 2 for steps 0-4 and -3 after
        for (int i = 0; i < d; i++) v[i] = (float) Math.cos(i * 0.7);
        int[] prompt = ts.model.tokens(PROMPTS[0]);
        int steps = 10;
        KvCache kv = new KvCache(m.config(), 1, Math.min(m.config().nCtx(), prompt.length + steps));
        Sampler greedy = new Sampler(Sampling.GREEDY);
        int[][] input = {prompt};
        long[] tokens = new long[steps];
        float[] stepLogits = new float[steps * vocab];
        for (int s = 0; s < steps; s++) {
            float scale = s < 5 ? 2f : -3f;
            HookFn add = (x, ctx) -> {
                Tensor y = x.copy();
                int off = (x.size(1) - 1) * d;
                for (int i = 0; i < d; i++) y.data()[off + i] = x.data()[off + i] + scale * v[i];
                return y;
            };
            Tensor logits = m.forward(input, Hooks.builder(m.hooks()).add("blocks.2.hook_resid_post", add).build(), kv, ForwardOptions.LAST_LOGITS);
            System.arraycopy(logits.data(), 0, stepLogits, s * vocab, vocab);
            int t = greedy.next(logits.data(), 0, vocab);
            tokens[s] = t;
            input = new int[][] {{t}};
        }
        Files.write(dir.resolve("steer_tokens.npy"), Npy.encode(NamedTensor.ofLongs("steer_tokens", tokens, steps)));
        npy(dir, "steer_logits", Tensor.of(stepLogits, steps, vocab));

        int target = 17, baseline = 23; // gradient × activation of a logit difference at the last position
        meta.put("target", target).put("baseline", baseline);
        float[] w = new float[clean.length * vocab];
        w[(clean.length - 1) * vocab + target] = 1;
        w[(clean.length - 1) * vocab + baseline] = -1;
        Tensor wt = Tensor.of(w, 1, clean.length, vocab);
        GradientRun g = GradientRun.of(m, new int[][] {clean}, List.of("blocks.*.hook_resid_pre"), l -> Ops.sum(Ops.mul(l, wt)));
        for (int l = 0; l < nL; l++) {
            Tensor a = g.activations().get("blocks." + l + ".hook_resid_pre"), gr = g.gradients().get("blocks." + l + ".hook_resid_pre");
            float[] p = new float[a.numel()];
            for (int i = 0; i < p.length; i++) p[i] = gr.data()[i] * a.data()[i];
            npy(dir, "gxa_" + l, Tensor.of(p, a.shape()));
        }

        for (int l = 0; l < nL; l++) { // logit lens: the model's head on each block's output, softmax, last position
            Tensor probs = Ops.softmax(m.unembed(cc.get("blocks." + l + ".hook_resid_post")));
            npy(dir, "lens_" + l, Ops.lastPosition(probs), vocab);
        }

        String hook = TinySae.HOOK; // an SAE feature: the strongest at the last position, then clamped to 5
        meta.put("sae", "tiny").put("sae_hook", hook);
        Tensor x = cc.get(hook);
        Tensor codes = sae.encode(x);
        int n = sae.dSae(), last = (x.size(1) - 1) * n, f = 0;
        for (int j = 1; j < n; j++) if (codes.data()[last + j] > codes.data()[last + f]) f = j;
        meta.put("feature", f);
        float[] acts = new float[x.size(1)];
        for (int p = 0; p < acts.length; p++) acts[p] = codes.data()[p * n + f];
        npy(dir, "sae_acts", Tensor.of(acts, acts.length));
        int feature = f;
        Tensor clamped = m.forward(new int[][] {clean}, Hooks.builder(m.hooks()).add(hook, (h, ctx) -> {
            Tensor a = sae.encode(h);
            Tensor recon = sae.decode(a);
            float[] err = new float[h.numel()];
            for (int i = 0; i < err.length; i++) err[i] = h.data()[i] - recon.data()[i];
            Tensor a2 = a.copy();
            for (int p = 0; p < h.size(1); p++) a2.data()[p * n + feature] = 5f;
            Tensor out = sae.decode(a2).copy();
            for (int i = 0; i < err.length; i++) out.data()[i] = out.data()[i] + err[i];
            return out;
        }).build(), null, ForwardOptions.FULL);
        npy(dir, "sae_clamped", Ops.lastPosition(clamped), vocab);
        return meta;
    }

    static ArrayNode ints(int[] a) {
        ArrayNode n = Body.JSON.createArrayNode();
        for (int v : a) n.add(v);
        return n;
    }
}
