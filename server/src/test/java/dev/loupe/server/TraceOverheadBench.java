package dev.loupe.server;

import dev.loupe.core.Tensor;
import dev.loupe.interp.trace.Trace;
import dev.loupe.interp.trace.TraceLimits;
import dev.loupe.interp.trace.TracePlan;
import dev.loupe.interp.trace.TraceRunner;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.server.api.Limits;
import dev.loupe.server.http.ApiKeys;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What a trace costs over the same work done in process with the plain library: an edit at the last position of the
 * last block's residual, then the last position's logits (and, second, a gradient × activation at one hook).
 * Median and p99 of: the library alone; the trace in process (build, validate, run); the trace over HTTP on loopback
 * (build, JSON, send, validate, queue, run, safetensors back). Model: {@code -Dloupe.bench.model} (default the bundled
 * models/loupe-brown-2l); iterations {@code -Dloupe.bench.n}. Run by bench/run-traces.sh (tagged slow).
 */
@Tag("slow")
class TraceOverheadBench {
    static final int N = Integer.getInteger("loupe.bench.n", 300);

    interface Call {
        void run() throws Exception;
    }

    /** Warms up (twice as long as measured: the library call is the first code the JIT sees), then measures. */
    static long[] time(Call c) throws Exception {
        for (int i = 0; i < Math.max(6, 2 * N); i++) c.run();
        long[] ns = new long[N];
        for (int i = 0; i < N; i++) {
            long t = System.nanoTime();
            c.run();
            ns[i] = System.nanoTime() - t;
        }
        Arrays.sort(ns);
        return ns;
    }

    static void report(String what, long[] ns) {
        System.out.printf(Locale.ROOT, "%-44s p50 %9.2f ms  p99 %9.2f ms%n", what, ns[N / 2] / 1e6, ns[N * 99 / 100] / 1e6);
    }

    static Trace edit(int[] ids, String hook, Tensor v, boolean grad) {
        Trace t = Trace.of(ids);
        Trace.Value x = t.hook(hook);
        t.write(hook, 0, x.indexPut(x.index(Trace.ALL, -1).add(t.constant(v)), Trace.ALL, -1));
        Trace.Value logits = t.hook("logits");
        t.save("last", logits.index(0, -1));
        if (grad) {
            t.backward(logits.index(0, -1, 1).sub(logits.index(0, -1, 2)));
            t.save("gxa", t.grad("blocks.0.hook_resid_pre", 0).mul(t.hook("blocks.0.hook_resid_pre")));
        }
        return t;
    }

    @Test
    void traceOverhead() throws Exception {
        String src = System.getProperty("loupe.bench.model", "models/loupe-brown-2l");
        LoadedModel model = ModelLoader.load(src, null);
        HookedTransformer m = model.transformer();
        int d = m.config().dModel(), layers = m.config().nLayers();
        String hook = "blocks." + (layers - 1) + ".hook_resid_post";
        int[] ids = new int[16];
        for (int i = 0; i < ids.length; i++) ids[i] = 1 + 7 * i;
        float[] vd = new float[d];
        for (int i = 0; i < d; i++) vd[i] = (float) Math.cos(i * 0.7);
        Tensor v = Tensor.of(vd, d);
        System.out.printf(Locale.ROOT, "model %s: %d layers, d_model %d, 16 tokens, %d iterations%n", src, layers, d, N);
        report("library: forward with an edit hook", time(() -> m.forward(new int[][] {ids}, dev.loupe.model.hooks.Hooks.builder(m.hooks()).add(hook, (x, ctx) -> {
            Tensor y = x.copy();
            int off = (x.size(1) - 1) * d;
            for (int i = 0; i < d; i++) y.data()[off + i] = x.data()[off + i] + vd[i];
            return y;
        }).build(), null, ForwardOptions.FULL)));
        for (boolean grad : new boolean[] {false, true}) {
            String what = grad ? "edit + grad x act" : "edit";
            report("trace in process (" + what + ")", time(() -> TraceRunner.run(m, TracePlan.validate(edit(ids, hook, v, grad).graph(), m, Map.of(), h -> null,
                    TraceLimits.DEFAULT), System.nanoTime() + 60_000_000_000L, 1L << 31)));
            try (LoupeServer server = new LoupeServer(model, "bench", List.of(), new LoupeServer.Config("127.0.0.1", 0, ApiKeys.none(), Limits.DEFAULT, 32, 256), s -> { })) {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/trace");
                report("trace over HTTP (" + what + ")", time(() -> {
                    String body = edit(ids, hook, v, grad).graph().toJson().toString();
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri).header("Accept", "application/vnd.safetensors")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
                    if (r.statusCode() != 200) throw new IllegalStateException(new String(r.body()));
                    dev.loupe.model.format.SafeTensors.read("trace", r.body());
                }));
            }
        }
    }
}
