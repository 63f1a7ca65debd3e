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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load test of /v1/trace on loopback: N simulated users, each with its own API key, looping for a fixed time over a
 * mix of traces on prompts of one length: an edit then the last logits' top-k; a gradient × activation summed per
 * position; a logit lens (top probability after each block); a patch from a value the user stored at start.
 * Prints per-kind counts, errors, p50/p99, throughput, mean rows per pass, and the server's peak RSS.
 * Run: java bench/TraceLoadTest.java PORT USERS SECONDS SERVER_PID KEYS_FILE [PROMPT_TOKENS=16]
 */
public class TraceLoadTest {
    record Sample(String kind, long nanos, int status, int rows) {}

    static final Pattern ROWS = Pattern.compile("\"batch_rows\":(\\d+)");

    public static void main(String[] a) throws Exception {
        int port = Integer.parseInt(a[0]), users = Integer.parseInt(a[1]);
        long seconds = Long.parseLong(a[2]);
        String pid = a[3];
        List<String> keys = Files.readAllLines(Path.of(a[4])).stream().filter(s -> !s.isBlank()).toList();
        int len = a.length > 5 ? Integer.parseInt(a[5]) : 16;
        if (users > 64 || seconds > 600 || keys.size() < users) throw new IllegalArgumentException("bounded: at most 64 users, 600 s, one key each");
        URI base = URI.create("http://127.0.0.1:" + port);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String info = http.send(HttpRequest.newBuilder(base.resolve("/v1/model")).header("Authorization", "Bearer " + keys.get(0)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        int layers = field(info, "n_layers"), vocab = field(info, "d_vocab"), dModel = field(info, "d_model");
        ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        Map<String, String> errors = new ConcurrentHashMap<>();
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
        long end = System.nanoTime() + seconds * 1_000_000_000L, t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            int id = u;
            threads.add(Thread.ofPlatform().start(() -> {
                Random r = new Random(id);
                String key = keys.get(id);
                int[] ids = new int[len];
                for (int i = 0; i < len; i++) ids[i] = 1 + r.nextInt(vocab - 1);
                String inv = "{\"tokens\": " + Arrays.toString(ids) + "}";
                try {
                    send(http, base, key, graph(inv, "{\"op\":\"hook\",\"hook\":\"blocks.0.hook_resid_pre\"},{\"op\":\"save\",\"in\":[0],\"name\":\"clean\",\"store\":true}"));
                } catch (Exception e) {
                    errors.merge("store: " + e.getMessage(), "1", (x, y) -> x);
                }
                while (System.nanoTime() < end) {
                    String kind = switch (r.nextInt(4)) {
                        case 0 -> "edit";
                        case 1 -> "grad";
                        case 2 -> "lens";
                        default -> "patch";
                    };
                    String nodes = switch (kind) {
                        case "edit" -> "{\"op\":\"hook\",\"hook\":\"blocks." + (layers - 1) + ".hook_resid_post\"},{\"op\":\"full\",\"shape\":[" + dModel + "],\"value\":" + (r.nextInt(5) + 1)
                                + "},{\"op\":\"index\",\"in\":[0],\"index\":[{\"slice\":[null,null,null]},-1]},{\"op\":\"add\",\"in\":[2,1]},"
                                + "{\"op\":\"index_put\",\"in\":[0,3],\"index\":[{\"slice\":[null,null,null]},-1]},{\"op\":\"write\",\"in\":[4],\"hook\":\"blocks." + (layers - 1) + ".hook_resid_post\"},"
                                + "{\"op\":\"hook\",\"hook\":\"logits\"},{\"op\":\"index\",\"in\":[6],\"index\":[0,-1]},{\"op\":\"topk\",\"in\":[7],\"k\":5,\"part\":\"indices\"},{\"op\":\"save\",\"in\":[8],\"name\":\"top\"}";
                        case "grad" -> "{\"op\":\"hook\",\"hook\":\"logits\"},{\"op\":\"index\",\"in\":[0],\"index\":[0,-1,1]},{\"op\":\"index\",\"in\":[0],\"index\":[0,-1,2]},{\"op\":\"sub\",\"in\":[1,2]},{\"op\":\"backward\",\"in\":[3]},"
                                + "{\"op\":\"grad\",\"hook\":\"blocks.0.hook_resid_pre\"},{\"op\":\"hook\",\"hook\":\"blocks.0.hook_resid_pre\"},{\"op\":\"mul\",\"in\":[5,6]},{\"op\":\"sum\",\"in\":[7],\"axis\":-1},{\"op\":\"save\",\"in\":[8],\"name\":\"gxa\"}";
                        case "lens" -> {
                            StringBuilder s = new StringBuilder();
                            for (int l = 0; l < layers; l++) {
                                int b = 4 * l;
                                s.append(l > 0 ? "," : "").append("{\"op\":\"hook\",\"hook\":\"blocks.").append(l).append(".hook_resid_post\"},{\"op\":\"unembed\",\"in\":[").append(b)
                                        .append("]},{\"op\":\"softmax\",\"in\":[").append(b + 1).append("]},{\"op\":\"max\",\"in\":[").append(b + 2).append("],\"axis\":-1}");
                            }
                            for (int l = 0; l < layers; l++) s.append(",{\"op\":\"save\",\"in\":[").append(4 * l + 3).append("],\"name\":\"p").append(l).append("\"}");
                            yield s.toString();
                        }
                        default -> "{\"op\":\"hook\",\"hook\":\"blocks.0.hook_resid_pre\"},{\"op\":\"stored\",\"handle\":\"clean\"},{\"op\":\"index\",\"in\":[1],\"index\":[{\"slice\":[null,null,null]},3]},"
                                + "{\"op\":\"index_put\",\"in\":[0,2],\"index\":[{\"slice\":[null,null,null]},3]},{\"op\":\"write\",\"in\":[3],\"hook\":\"blocks.0.hook_resid_pre\"},"
                                + "{\"op\":\"hook\",\"hook\":\"logits\"},{\"op\":\"index\",\"in\":[5],\"index\":[0,-1]},{\"op\":\"argmax\",\"in\":[6]},{\"op\":\"save\",\"in\":[7],\"name\":\"top\"}";
                    };
                    long t = System.nanoTime();
                    try {
                        HttpResponse<String> resp = send(http, base, key, graph(inv, nodes));
                        Matcher m = ROWS.matcher(resp.body());
                        samples.add(new Sample(kind, System.nanoTime() - t, resp.statusCode(), m.find() ? Integer.parseInt(m.group(1)) : 0));
                        if (resp.statusCode() != 200) errors.merge(kind + " " + resp.statusCode() + ": " + resp.body(), "1", (x, y) -> x);
                    } catch (Exception e) {
                        samples.add(new Sample(kind, System.nanoTime() - t, -1, 0));
                        errors.merge(kind + ": " + e, "1", (x, y) -> x);
                    }
                }
            }));
        }
        for (Thread th : threads) th.join();
        double wall = (System.nanoTime() - t0) / 1e9;
        rss.interrupt();
        long ok = samples.stream().filter(s -> s.status() == 200).count();
        System.out.printf(Locale.ROOT, "%d users, %.0f s, %d-token prompts: %d traces, %d errors, %.1f traces/s, mean rows per pass %.1f, server peak RSS %d MiB%n",
                users, wall, len, samples.size(), samples.size() - ok, ok / wall, samples.stream().filter(s -> s.status() == 200).mapToInt(Sample::rows).average().orElse(0),
                peakRss.get() / 1024);
        for (String kind : List.of("edit", "grad", "lens", "patch")) {
            long[] ns = samples.stream().filter(s -> s.kind().equals(kind) && s.status() == 200).mapToLong(Sample::nanos).sorted().toArray();
            if (ns.length == 0) continue;
            System.out.printf(Locale.ROOT, "  %-6s n=%6d  p50 %8.1f ms  p99 %8.1f ms%n", kind, ns.length, ns[ns.length / 2] / 1e6, ns[Math.min(ns.length - 1, ns.length * 99 / 100)] / 1e6);
        }
        errors.keySet().stream().limit(5).forEach(e -> System.out.println("  error: " + e.substring(0, Math.min(200, e.length()))));
        if (ok != samples.size()) System.exit(1);
    }

    static String graph(String invoke, String nodes) {
        return "{\"version\":1,\"invokes\":[" + invoke + "],\"nodes\":[" + nodes + "]}";
    }

    static HttpResponse<String> send(HttpClient http, URI base, String key, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve("/v1/trace")).header("Authorization", "Bearer " + key).header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static int field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\\d+)").matcher(json);
        if (!m.find()) throw new IllegalStateException("no " + name + " in " + json);
        return Integer.parseInt(m.group(1));
    }

    static long rssKb(String pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
            }
        } catch (Exception e) {
            // the server is gone
        }
        return 0;
    }
}
