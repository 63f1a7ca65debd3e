package dev.loupe.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.server.client.LoupeClient;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the HTTP API costs over an in-process call, for a small cached forward (stories260K, 16 tokens, one hook):
 * median and p99 of each, after warm-up. Run by bench/run-server.sh (tagged slow).
 */
@Tag("slow")
class ApiOverheadBench {
    static final int N = 3000;

    interface Call {
        void run() throws Exception;
    }

    static long[] time(Call c) throws Exception {
        for (int i = 0; i < N / 3; i++) c.run();
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
        System.out.printf(Locale.ROOT, "%-36s p50 %8.1f us  p99 %8.1f us%n", what, ns[N / 2] / 1e3, ns[N * 99 / 100] / 1e3);
    }

    @Test
    void smallCachedForward() throws Exception {
        try (TestServer ts = new TestServer()) {
            HookedTransformer m = ts.model.transformer();
            int[] ids = new int[16];
            for (int i = 0; i < ids.length; i++) ids[i] = 1 + 7 * i;
            List<String> hooks = List.of("blocks.2.hook_resid_post");
            report("in-process runWithCache", time(() -> m.runWithCache(new int[][] {ids}, hooks, new ActivationCache())));
            ObjectNode r = LoupeClient.request();
            for (int t : ids) r.withArray("tokens").add(t);
            r.putArray("cache").add("blocks.2.hook_resid_post");
            report("api /v1/run (safetensors)", time(() -> ts.client.run(r)));
            report("api /v1/run (JSON)", time(() -> ts.client.post("/v1/run", r)));
        }
    }
}
