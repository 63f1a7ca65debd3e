package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.core.Tensor;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.server.http.Body;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * Valid clients and attackers against one keyless server in a process of its own (a 256 MB heap, connection limits
 * tightened so they act within the test; the attackers run in a third process, {@link Attackers}): amplifying readouts, resample floods, heavy but legal resample requests,
 * long-word tokenize floods, slow readers that never take their response, idle connections (a silent new connection is
 * closed after the request time limit, 6 s here; keep-alive ones after the idle interval), slowloris clients and
 * cross-site Host/Origin headers. Every valid request must be answered 200 with logits bit-identical to the
 * library's; no attack may get a 5xx other than back-pressure; idle and slowloris sockets must be closed by the
 * server; its peak RSS must stay bounded; it must still serve afterwards. Prints the throughput, p99 and peak RSS
 * (BENCHMARKS.md "Hardening").
 */
class AttackMixTest {
    static final int VALID_CLIENTS = 4;
    static final int[] LENGTHS = {5, 8, 13, 21, 34};
    static final long QUIET_MS = 3000, ATTACK_MS = 12_000;
    /** The valid clients' connections, kept alive across the phases as a notebook's would be. */
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /**
     * The attacker classes that run, from {@code -Dloupe.attacks=a,b} (default all): readouts, resample, heavy,
     * tokenize, crosssite, slowreaders, slowloris, idle. Running one at a time shows what each costs the valid
     * clients; {@code -Dloupe.attack.jfr=FILE} records the server with JFR's profiling settings.
     */
    static final Set<String> ATTACKS = Set.of(System.getProperty("loupe.attacks",
            "readouts,resample,heavy,tokenize,crosssite,slowreaders,slowloris,idle").split(","));

    /**
     * @param serverCpuPerSecond the server process's CPU seconds per second of the phase (2 = both cores)
     * @param clientCpuPerSecond the same for this process (the valid clients)
     * @param attackerCpuPerSecond the same for the attackers' process
     */
    record Phase(int requests, double perSecond, double p50Ms, double p99Ms, double serverCpuPerSecond, double clientCpuPerSecond,
                 double attackerCpuPerSecond) {}

    /** One run: the phase without attackers, the phase with them, what the attackers got, the server's peak RSS and the load average after. */
    record Outcome(Set<String> attacks, Phase quiet, Phase loaded, JsonNode attackers, long peakRssKb, String load) {
        String line() {
            return String.format(java.util.Locale.ROOT, "ATTACK-MIX %s: quiet: %d requests, %.0f/s, p50 %.1f ms, p99 %.1f ms, CPU server %.2f clients %.2f;"
                            + " under attack: %d requests, %.0f/s, p50 %.1f ms, p99 %.1f ms, CPU server %.2f clients %.2f attackers %.2f; attackers %s;"
                            + " peak RSS %d MB; load %s", new java.util.TreeSet<>(attacks),
                    quiet.requests(), quiet.perSecond(), quiet.p50Ms(), quiet.p99Ms(), quiet.serverCpuPerSecond(), quiet.clientCpuPerSecond(),
                    loaded.requests(), loaded.perSecond(), loaded.p50Ms(), loaded.p99Ms(), loaded.serverCpuPerSecond(), loaded.clientCpuPerSecond(),
                    loaded.attackerCpuPerSecond(), attackers, peakRssKb / 1024, load);
        }
    }

    @Test
    void validClientsAreAnsweredBitExactWhileAttackersRun() throws Exception {
        Outcome o = measure(ATTACKS);
        JsonNode a = o.attackers();
        assertEquals(0, a.get("unexpected_count").asInt(), "unexpected answers to attacks: " + a.get("unexpected"));
        assertTrue(a.get("idle_closed").asInt() >= a.get("idle_opened").asInt() * 9 / 10,
                a.get("idle_closed") + " of " + a.get("idle_opened") + " idle connections closed by the server");
        assertTrue(!ATTACKS.contains("slowloris") || a.get("slowloris_closed").asInt() > 0, "slowloris connections are cut off");
        assertTrue(o.peakRssKb() < 1_200_000, "peak RSS " + o.peakRssKb() + " kB");
        System.out.println(o.line());
    }

    /**
     * Starts a server and measures the valid clients alone, then with {@code attacks} running in a process of their own;
     * fails when a valid request is not answered bit-exactly or the server stops serving.
     */
    static Outcome measure(Set<String> attacks) throws Exception {
        Path bin = SharedModels.path("stories260K/stories260K.bin");
        LoadedModel m = ModelLoader.load(bin.toString(), bin.resolveSibling("tok512.bin"));
        Map<Integer, float[]> reference = new ConcurrentHashMap<>();
        for (int len : LENGTHS) {
            Tensor logits = m.transformer().runWithCache(new int[][] {ids(len)}, List.of(), new ActivationCache());
            reference.put(len, logits.data());
        }
        Process child = startServer();
        try {
            int port = port(child);
            warmUp(port);
            Phase quiet = valid(port, child.pid(), -1, reference, QUIET_MS);
            Process attackers = javaProcess(List.of("-Xmx512m"), Attackers.class, Integer.toString(port), String.join(",", attacks), Long.toString(ATTACK_MS));
            JsonNode summary;
            Phase loaded;
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(attackers.getInputStream(), StandardCharsets.UTF_8));
                if (!"STARTED".equals(out.readLine())) throw new IllegalStateException("the attackers did not start");
                loaded = valid(port, child.pid(), attackers.pid(), reference, ATTACK_MS);
                String line = out.readLine();
                if (line == null || !line.startsWith("RESULT ")) throw new IllegalStateException("the attackers printed no result: " + line);
                summary = Body.JSON.readTree(line.substring("RESULT ".length()));
            } finally {
                attackers.destroyForcibly().waitFor();
            }
            long rssKb = peakRssKb(child.pid());
            assertTrue(child.isAlive(), "the server process died");
            var after = RawHttp.exchange(port, "GET", "/v1/model", Map.of(), null);
            assertEquals(200, after.status(), "still serving afterwards");
            return new Outcome(attacks, quiet, loaded, summary, rssKb, Files.readString(Path.of("/proc/loadavg")).strip());
        } finally {
            child.destroy(); // SIGTERM first, so a JFR recording is written
            if (!child.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) child.destroyForcibly().waitFor();
        }
    }

    static int[] ids(int len) {
        int[] t = new int[len];
        t[0] = 1;
        for (int i = 1; i < len; i++) t[i] = 3 + (i * 37) % 500;
        return t;
    }

    private static Process startServer() throws IOException {
        List<String> flags = new ArrayList<>(List.of("-Xmx256m", "-XX:+UseSerialGC", "-Dsun.net.httpserver.maxReqTime=6",
                "-Dsun.net.httpserver.maxRspTime=15", "-Djdk.httpserver.maxConnections=400"));
        String jfr = System.getProperty("loupe.attack.jfr");
        if (jfr != null) flags.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true");
        return javaProcess(flags, AttackServerMain.class);
    }

    /** {@code main} in a JVM of its own with this one's class path; its stderr goes to ours. */
    static Process javaProcess(List<String> flags, Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules", "jdk.incubator.vector"));
        cmd.addAll(flags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** The port a server process started with {@link AttackServerMain} prints. */
    static int port(Process child) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = r.readLine()) != null; ) {
            if (line.startsWith("PORT ")) return Integer.parseInt(line.substring(5).strip());
        }
        throw new IllegalStateException("the server process printed no port");
    }

    /** The JIT's first compilations, before anything is timed (a cold forward can take seconds on a busy machine). */
    private static void warmUp(int port) throws Exception {
        long end = System.nanoTime() + 120_000_000_000L;
        for (int ok = 0; ok < 40 && System.nanoTime() < end; ) {
            var r = RawHttp.exchange(port, "POST", "/v1/run", Map.of(), "{\"tokens\": " + Arrays.toString(ids(LENGTHS[ok % LENGTHS.length])) + ", \"cache\": [\"logits\"]}");
            if (r.status() == 200) ok++;
        }
    }

    private static long peakRssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        return -1;
    }

    /** Valid clients for {@code ms}: every answer must be 200 and bit-identical to the library's logits. */
    private static Phase valid(int port, long pid, long attackersPid, Map<Integer, float[]> reference, long ms) throws Exception {
        double cpu0 = cpuSeconds(pid), own0 = cpuSeconds(ProcessHandle.current().pid()), att0 = attackersPid < 0 ? 0 : cpuSeconds(attackersPid);
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime(), end = start + ms * 1_000_000;
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < VALID_CLIENTS; c++) {
            int seed = c;
            threads.add(Thread.ofPlatform().start(() -> {
                Random rnd = new Random(seed);
                while (System.nanoTime() < end) {
                    int len = LENGTHS[rnd.nextInt(LENGTHS.length)];
                    String body = "{\"tokens\": " + Arrays.toString(ids(len)) + ", \"cache\": [\"logits\"]}";
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<byte[]> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/run"))
                                .header("Accept", "application/x-npy").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                HttpResponse.BodyHandlers.ofByteArray());
                        latencies.add(System.nanoTime() - t0);
                        if (r.statusCode() != 200) failures.add(r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
                        else if (!Arrays.equals(npyFloats(r.body()), reference.get(len))) failures.add("logits differ for " + len + " tokens");
                    } catch (Exception e) {
                        failures.add("at " + (System.nanoTime() - start) / 1_000_000 + " ms: " + e);
                    }
                }
            }));
        }
        for (Thread t : threads) t.join();
        assertTrue(failures.isEmpty(), failures.size() + " valid requests failed" + (attackersPid >= 0 ? " under attack" : "") + ": "
                + failures.stream().limit(5).toList());
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        return new Phase(sorted.size(), sorted.size() * 1000.0 / ms, sorted.get(sorted.size() / 2) / 1e6,
                sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1)) / 1e6, (cpuSeconds(pid) - cpu0) * 1000 / ms,
                (cpuSeconds(ProcessHandle.current().pid()) - own0) * 1000 / ms, attackersPid < 0 ? 0 : (cpuSeconds(attackersPid) - att0) * 1000 / ms);
    }

    /** User and system CPU time of process {@code pid} so far (/proc/PID/stat, in clock ticks of 1/100 s). */
    private static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    static float[] npyFloats(byte[] npy) {
        ByteBuffer b = ByteBuffer.wrap(npy).order(ByteOrder.LITTLE_ENDIAN);
        int header = b.getShort(8) & 0xffff;
        b.position(10 + header);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }
}
