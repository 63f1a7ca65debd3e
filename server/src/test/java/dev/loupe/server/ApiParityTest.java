package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.GradientRun;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.generate.Generator;
import dev.loupe.model.generate.Sampling;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.server.client.LoupeClient;
import dev.loupe.server.http.Body;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the API returns equals, bit for bit, what the library computes in process for the same request. */
class ApiParityTest {
    static TestServer ts;
    static HookedTransformer model;
    static final String PROMPT = "Once upon a time, there was a little girl";
    static final String ZERO_MLP1 = "[{\"hook\": \"blocks.1.hook_mlp_out\", \"op\": \"zero\", \"positions\": [1, 3]}]";

    @BeforeAll
    static void start() {
        ts = new TestServer();
        model = ts.model.transformer();
    }

    @AfterAll
    static void stop() {
        ts.close();
    }

    static ObjectNode req(String prompt) {
        ObjectNode r = LoupeClient.request().put("prompt", prompt);
        return r;
    }

    @Test
    void cachedActivationsAndLogitsAreBitExact() throws Exception {
        ObjectNode r = req(PROMPT);
        r.putArray("cache").add("blocks.*.hook_resid_post").add("blocks.2.attn.hook_pattern").add("logits");
        LoupeClient.Result res = ts.client.run(r);
        int[] ids = ts.model.tokens(PROMPT);
        ActivationCache cache = new ActivationCache();
        Tensor logits = model.runWithCache(new int[][] {ids}, List.of("blocks.*.hook_resid_post", "blocks.2.attn.hook_pattern"), cache);
        for (String name : cache.names()) {
            Tensor want = cache.get(name);
            Tensor got = res.get(name);
            assertArrayEquals(Arrays.copyOfRange(want.shape(), 1, want.rank()), got.shape(), name);
            assertArrayEquals(want.data(), got.data(), name);
        }
        assertArrayEquals(logits.data(), res.get("logits").data());
        assertEquals(Arrays.toString(ids).replace(" ", ""), res.fields().get("tokens"));
    }

    /** Without logits the pass stops after the last block asked for; what it records is unchanged. */
    @Test
    void passesStopEarlyWithoutChangingActivations() throws Exception {
        ObjectNode r = req(PROMPT);
        r.putArray("cache").add("blocks.1.*");
        LoupeClient.Result res = ts.client.run(r);
        ActivationCache cache = new ActivationCache();
        model.runWithCache(new int[][] {ts.model.tokens(PROMPT)}, List.of("blocks.1.*"), cache);
        assertEquals(cache.names(), res.tensors().keySet());
        for (String name : cache.names()) assertArrayEquals(cache.get(name).data(), res.get(name).data(), name);
    }

    @Test
    void jsonAndNpyCarryTheSameFloats() throws Exception {
        ObjectNode r = req(PROMPT);
        r.putArray("cache").add("blocks.1.hook_mlp_out");
        JsonNode json = ts.client.post("/v1/run", r);
        Tensor want = ts.client.run(r).get("blocks.1.hook_mlp_out");
        JsonNode data = json.get("tensors").get("blocks.1.hook_mlp_out").get("data");
        for (int i = 0; i < want.numel(); i++) assertEquals(want.data()[i], data.get(i).floatValue(), "element " + i);
        byte[] npy = Http.post(ts, "/v1/run", r.toString(), "application/x-npy").body();
        assertEquals("\u0093NUMPY", new String(npy, 0, 6, java.nio.charset.StandardCharsets.ISO_8859_1));
        int headerLen = (npy[8] & 0xff) | (npy[9] & 0xff) << 8;
        assertEquals(0, (10 + headerLen) % 64);
        String header = new String(npy, 10, headerLen, java.nio.charset.StandardCharsets.US_ASCII);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (" + want.size(0) + ", " + want.size(1) + "), }"), header);
        var fb = java.nio.ByteBuffer.wrap(npy, 10 + headerLen, npy.length - 10 - headerLen).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] got = new float[fb.remaining()];
        fb.get(got);
        assertArrayEquals(want.data(), got);
    }

    /**
     * Responses over {@code LoupeServer.STREAM_BYTES} are written as they are encoded (safetensors and npy with a
     * Content-Length, JSON chunked): the same floats in each encoding, bit for bit.
     */
    @Test
    void largeResponsesAreStreamedAndStayExact() throws Exception {
        int[] ids = AttackMixTest.ids(128);
        ObjectNode r = LoupeClient.request();
        var t = r.putArray("tokens");
        for (int id : ids) t.add(id);
        r.putArray("cache").add("blocks.*.attn.hook_pattern");
        ActivationCache cache = new ActivationCache();
        model.runWithCache(new int[][] {ids}, List.of("blocks.*.attn.hook_pattern"), cache);
        LoupeClient.Result st = ts.client.run(r); // safetensors, 2.6 MB
        JsonNode json = ts.client.post("/v1/run", r);
        for (String name : cache.names()) {
            assertArrayEquals(cache.get(name).data(), st.get(name).data(), name);
            JsonNode data = json.get("tensors").get(name).get("data");
            float[] want = cache.get(name).data();
            assertEquals(want.length, data.size(), name);
            for (int i = 0; i < want.length; i++) if (want[i] != data.get(i).floatValue()) throw new AssertionError(name + "[" + i + "]: " + want[i] + " vs " + data.get(i));
        }
        r.putArray("cache").add("blocks.0.attn.hook_pattern");
        var res = Http.post(ts, "/v1/run", r.toString(), "application/x-npy");
        byte[] npy = res.body();
        assertEquals(Long.toString(npy.length), res.headers().firstValue("content-length").orElse("chunked"), "npy has a Content-Length");
        int headerLen = (npy[8] & 0xff) | (npy[9] & 0xff) << 8;
        var fb = java.nio.ByteBuffer.wrap(npy, 10 + headerLen, npy.length - 10 - headerLen).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] got = new float[fb.remaining()];
        fb.get(got);
        assertArrayEquals(cache.get("blocks.0.attn.hook_pattern").data(), got);
    }

    /** Interventions in the library's spec format give what the library gives in process. */
    @Test
    void interventionsMatchTheLibrary() throws Exception {
        StringBuilder v = new StringBuilder("[");
        for (int i = 0; i < model.config().dModel(); i++) v.append(i > 0 ? "," : "").append((float) Math.sin(i));
        String spec = "[{\"hook\": \"blocks.2.hook_resid_post\", \"op\": \"add\", \"scale\": 3.0, \"vector\": " + v + "]},"
                + " {\"hook\": \"blocks.1.attn.hook_z\", \"op\": \"zero\", \"heads\": [0, 3], \"positions\": {\"from\": 2}},"
                + " {\"hook\": \"blocks.3.mlp.hook_post\", \"op\": \"clamp\", \"max\": 0.5}]";
        ObjectNode r = req(PROMPT);
        r.putArray("cache").add("logits").add("blocks.3.hook_mlp_out");
        r.set("interventions", Body.JSON.readTree(spec));
        LoupeClient.Result got = ts.client.run(r);
        int[] ids = ts.model.tokens(PROMPT);
        ActivationCache cache = new ActivationCache();
        Hooks hooks = ts.interventions(spec).cache(List.of("blocks.3.hook_mlp_out"), cache).build();
        Tensor want = model.forward(new int[][] {ids}, hooks, null, ForwardOptions.FULL);
        assertArrayEquals(want.data(), got.get("logits").data());
        assertArrayEquals(cache.get("blocks.3.hook_mlp_out").data(), got.get("blocks.3.hook_mlp_out").data());
    }

    @Test
    void reductionsEqualReducingTheFullActivation() throws Exception {
        ObjectNode r = req(PROMPT);
        var cache = r.putArray("cache");
        cache.add("blocks.3.hook_resid_post");
        cache.addObject().put("hook", "blocks.3.hook_resid_post").put("as", "mean").put("reduce", "mean");
        cache.addObject().put("hook", "blocks.3.hook_resid_post").put("as", "norms").put("norm", true);
        cache.addObject().put("hook", "blocks.3.hook_resid_post").put("as", "last").put("topk", 3).putArray("positions").add(-1);
        cache.addObject().put("hook", "blocks.3.attn.hook_pattern").put("as", "head5").putArray("heads").add(5);
        ObjectNode proj = cache.addObject().put("hook", "blocks.3.hook_resid_post").put("as", "proj");
        var dirs = proj.putArray("project");
        var d0 = dirs.addArray();
        for (int i = 0; i < model.config().dModel(); i++) d0.add(i == 7 ? 1.0 : 0.0);
        LoupeClient.Result res = ts.client.run(r);
        Tensor full = res.get("blocks.3.hook_resid_post");
        int pos = full.size(0), d = full.size(1);
        float[] mean = res.get("mean").data();
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int p = 0; p < pos; p++) s += full.get(p, j);
            assertEquals((float) (s / pos), mean[j]);
        }
        for (int p = 0; p < pos; p++) {
            double s = 0;
            for (int j = 0; j < d; j++) s += (double) full.get(p, j) * full.get(p, j);
            assertEquals((float) Math.sqrt(s), res.get("norms").data()[p]);
            assertEquals(full.get(p, 7), res.get("proj").data()[p]);
        }
        float[] last = Arrays.copyOfRange(full.data(), (pos - 1) * d, pos * d);
        long[] idx = res.ints().get("last.indices");
        assertEquals(3, idx.length);
        for (int k = 0; k < 3; k++) assertEquals(last[(int) idx[k]], res.get("last.values").data()[k]);
        float[] sorted = last.clone();
        Arrays.sort(sorted);
        assertEquals(sorted[d - 1], res.get("last.values").data()[0]);
        assertArrayEquals(new int[] {1, pos, pos}, res.get("head5").shape());
    }

    @Test
    void generationMatchesTheLibrary() throws Exception {
        ObjectNode r = req("Once upon a time").put("max_tokens", 24);
        List<Integer> streamed = new ArrayList<>();
        JsonNode done = ts.client.generate(r, streamed::add);
        int[] ids = ts.model.tokens("Once upon a time");
        int[][] want = new Generator(model).generate(new int[][] {ids}, 24, Sampling.GREEDY, ts.model.tokenizer().eosId(), Hooks.none(model.hooks()), null);
        int[] got = new int[done.get("tokens").size()];
        for (int i = 0; i < got.length; i++) got[i] = done.get("tokens").get(i).asInt();
        assertArrayEquals(want[0], got);
        assertEquals(Arrays.stream(got).boxed().toList(), streamed);
        assertEquals(ts.model.tokenizer().decode(got), done.get("text").asText());
    }

    @Test
    void gradientsMatchGradientRun() throws Exception {
        ObjectNode r = req(PROMPT);
        r.putArray("grads").add("blocks.*.hook_resid_pre").add("logits");
        LoupeClient.Result res = ts.client.gradients(r);
        int[] ids = ts.model.tokens(PROMPT);
        GradientRun run = GradientRun.ofLoss(model, new int[][] {ids}, List.of("blocks.*.hook_resid_pre"));
        assertEquals(Float.toString(run.value().data()[0]), res.fields().get("value"));
        for (var e : run.gradients().entrySet()) assertArrayEquals(e.getValue().data(), res.get(e.getKey()).data(), e.getKey());
    }

    @Test
    void logitDifferenceGradients() throws Exception {
        int[] ids = ts.model.tokens(PROMPT);
        ObjectNode r = req(PROMPT);
        r.putArray("grads").add("blocks.0.hook_resid_post");
        r.putObject("objective").put("type", "logit_diff").put("position", -1).put("target", 11).put("baseline", 22);
        LoupeClient.Result res = ts.client.gradients(r);
        int vocab = model.config().dVocab();
        float[] w = new float[ids.length * vocab];
        w[(ids.length - 1) * vocab + 11] = 1;
        w[(ids.length - 1) * vocab + 22] = -1;
        Tensor weights = Tensor.of(w, 1, ids.length, vocab);
        GradientRun run = GradientRun.of(model, new int[][] {ids}, List.of("blocks.0.hook_resid_post"), l -> Ops.sum(Ops.mul(l, weights)));
        assertEquals(Float.toString(run.value().data()[0]), res.fields().get("value"));
        assertArrayEquals(run.gradients().get("blocks.0.hook_resid_post").data(), res.get("blocks.0.hook_resid_post").data());
    }

    /** Concurrent requests of equal length share passes, and each still gets exactly its own in-process result. */
    @Test
    void microBatchedRequestsStayBitExact() throws Exception {
        java.util.Random rnd = new java.util.Random(5);
        List<int[]> ids = new ArrayList<>();
        for (int p = 0; p < 4; p++) ids.add(rnd.ints(9, 1, model.config().dVocab()).toArray());
        int n = 24;
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            List<Future<LoupeClient.Result>> fs = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                ObjectNode r = LoupeClient.request();
                for (int t : ids.get(k % ids.size())) r.withArray("tokens").add(t);
                r.putArray("cache").add("blocks.4.hook_resid_post").add("logits");
                if (k % 3 == 0) r.set("interventions", Body.JSON.readTree(ZERO_MLP1));
                fs.add(pool.submit(() -> ts.client.run(r)));
            }
            int maxRows = 0;
            for (int k = 0; k < n; k++) {
                LoupeClient.Result res = fs.get(k).get();
                maxRows = Math.max(maxRows, Integer.parseInt(res.fields().get("batch_rows")));
                Hooks.Builder hb = k % 3 == 0 ? ts.interventions(ZERO_MLP1) : Hooks.builder(model.hooks());
                ActivationCache cache = new ActivationCache();
                hb.cache(List.of("blocks.4.hook_resid_post"), cache);
                Tensor logits = model.forward(new int[][] {ids.get(k % ids.size())}, hb.build(), null, ForwardOptions.FULL);
                assertArrayEquals(logits.data(), res.get("logits").data(), "request " + k);
                assertArrayEquals(cache.get("blocks.4.hook_resid_post").data(), res.get("blocks.4.hook_resid_post").data(), "request " + k);
            }
            assertTrue(maxRows > 1, "no request shared a pass");
        }
    }
}
