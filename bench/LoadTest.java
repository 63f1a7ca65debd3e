import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load test of a Loupe server on loopback: N clients, each looping for a fixed time over a mix of cached forward
 * passes (with server-side reductions), steered streamed generations and gradient requests. Bounded in clients,
 * time and target (127.0.0.1 only). Prints per-kind counts, errors and p50/p99 latency, throughput, and the
 * server's peak RSS. Run: java bench/LoadTest.java PORT CLIENTS SECONDS SERVER_PID KEY [PROMPT_TOKENS=16] [NEW_TOKENS=32]
 */
public class LoadTest {
    record Sample(String kind, long nanos, int status) {}

    public static void main(String[] a) throws Exception {
        int port = Integer.parseInt(a[0]), clients = Integer.parseInt(a[1]);
        long seconds = Long.parseLong(a[2]);
        String pid = a[3], key = a[4];
        int promptLen = a.length > 5 ? Integer.parseInt(a[5]) : 16, newTokens = a.length > 6 ? Integer.parseInt(a[6]) : 32;
        if (clients > 64 || seconds > 600) throw new IllegalArgumentException("bounded: at most 64 clients and 600 s");
        URI base = URI.create("http://127.0.0.1:" + port);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        Map<String, String> errors = new ConcurrentHashMap<>();
        AtomicLong generated = new AtomicLong(), promptTokens = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicLong peakRss = new AtomicLong();
        Thread rss = Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                peakRss.accumulateAndGet(rssKb(pid), Math::max);
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        String model = http.send(HttpRequest.newBuilder(base.resolve("/v1/model")).header("Authorization", "Bearer " + key).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        var dModel = java.util.regex.Pattern.compile("\"d_model\":(\\d+)").matcher(model);
        if (!dModel.find()) throw new IllegalStateException("no d_model in /v1/model: " + model);
        String steer = steerVector(Integer.parseInt(dModel.group(1)));
        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int id = c;
            threads.add(Thread.ofPlatform().start(() -> {
                Random r = new Random(id);
                while (System.nanoTime() < end) {
                    int pick = r.nextInt(100);
                    String kind, path, body, accept = "application/vnd.safetensors";
                    if (pick < 60) {
                        kind = "cache";
                        path = "/v1/run";
                        body = "{\"tokens\": " + tokens(r, promptLen) + ", \"cache\": [{\"hook\": \"blocks.*.hook_resid_post\", \"positions\": [-1]},"
                                + " {\"hook\": \"blocks.1.attn.hook_pattern\", \"reduce\": \"max\"}, {\"hook\": \"logits\", \"positions\": [-1], \"topk\": 5}]}";
                        promptTokens.addAndGet(promptLen);
                    } else if (pick < 85) {
                        kind = "generate";
                        path = "/v1/generate";
                        accept = "text/event-stream";
                        body = "{\"tokens\": " + tokens(r, promptLen / 2) + ", \"max_tokens\": " + newTokens + ", \"stop_at_eos\": false, \"interventions\": [{\"hook\": \"blocks.1.hook_resid_post\", \"op\": \"add\", \"scale\": 2, \"vector\": " + steer + "}]}";
                        promptTokens.addAndGet(promptLen / 2);
                    } else {
                        kind = "gradients";
                        path = "/v1/gradients";
                        body = "{\"tokens\": " + tokens(r, promptLen) + ", \"grads\": [{\"hook\": \"blocks.*.hook_resid_pre\", \"norm\": true}]}";
                        promptTokens.addAndGet(promptLen);
                    }
                    long s = System.nanoTime();
                    int status;
                    try {
                        HttpResponse<String> res = http.send(HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + key)
                                .header("Accept", accept).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                        status = res.statusCode();
                        if (status == 200 && kind.equals("generate")) {
                            if (!res.body().contains("event: done")) status = -2;
                            generated.addAndGet(res.body().split("event: token", -1).length - 1);
                        }
                        if (status != 200) errors.putIfAbsent(kind + " " + status, res.body().substring(0, Math.min(300, res.body().length())));
                    } catch (Exception e) {
                        status = -1;
                        errors.putIfAbsent(kind + " exception", e.toString());
                    }
                    samples.add(new Sample(kind, System.nanoTime() - s, status));
                }
            }));
        }
        for (Thread t : threads) t.join();
        double wall = (System.nanoTime() - t0) / 1e9;
        rss.interrupt();
        List<Sample> all = new ArrayList<>(samples);
        long bad = all.stream().filter(x -> x.status != 200).count();
        System.out.printf(Locale.ROOT, "mix 60%% cache (%d tokens) / 25%% steered generation (%d + %d tokens) / 15%% gradients%n", promptLen, promptLen / 2, newTokens);
        System.out.printf(Locale.ROOT, "clients %d, %.1f s: %d requests, %d errors, %.1f req/s, %.0f prompt tok/s, %.0f generated tok/s, server peak RSS %d MiB%n",
                clients, wall, all.size(), bad, all.size() / wall, promptTokens.get() / wall, generated.get() / wall, peakRss.get() / 1024);
        for (String kind : List.of("cache", "generate", "gradients", "all")) {
            long[] ns = all.stream().filter(x -> kind.equals("all") || x.kind.equals(kind)).mapToLong(x -> x.nanos).sorted().toArray();
            if (ns.length == 0) continue;
            System.out.printf(Locale.ROOT, "  %-9s n=%-6d p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms%n", kind, ns.length,
                    ns[ns.length / 2] / 1e6, ns[(int) Math.min(ns.length - 1, Math.ceil(ns.length * 0.99) - 1)] / 1e6, ns[ns.length - 1] / 1e6);
        }
        errors.forEach((k, v) -> System.out.println("  error " + k + ": " + v));
        String metrics = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        double rows = metric(metrics, "loupe_batch_rows_sum"), passes = metric(metrics, "loupe_batch_rows_count");
        System.out.printf(Locale.ROOT, "  server: %.0f shared passes (prefill/forward/solo), %.2f rows per pass on average, %.0f requests refused (429)%n",
                passes, rows / Math.max(1, passes), metric(metrics, "loupe_rejected_total"));
        if (bad > 0) System.exit(1);
    }

    static double metric(String text, String name) {
        for (String line : text.split("\n")) if (line.startsWith(name + " ")) return Double.parseDouble(line.substring(name.length() + 1));
        return 0;
    }

    static String tokens(Random r, int n) {
        int[] t = new int[n];
        t[0] = 1;
        for (int i = 1; i < n; i++) t[i] = 3 + r.nextInt(500);
        return Arrays.toString(t);
    }

    static String steerVector(int d) {
        float[] v = new float[d];
        for (int i = 0; i < d; i++) v[i] = (float) Math.sin(i);
        return Arrays.toString(v);
    }

    static long rssKb(String pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
            }
        } catch (Exception e) {
            return 0;
        }
        return 0;
    }
}
