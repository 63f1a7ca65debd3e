package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.model.hooks.ActivationCache;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Valid clients and attackers against one keyless server in a process of its own (a 256 MB heap, connection limits
 * tightened so they act within the test): amplifying readouts, resample floods, heavy but legal resample requests,
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
    static final java.util.Set<String> ATTACKS = java.util.Set.of(System.getProperty("loupe.attacks",
            "readouts,resample,heavy,tokenize,crosssite,slowreaders,slowloris,idle").split(","));

    /**
     * @param serverCpuPerSecond the server process's CPU seconds per second of the phase (2 = both cores)
     * @param clientCpuPerSecond the same for this process: the valid clients and the attackers
     */
    record Phase(int requests, double perSecond, double p50Ms, double p99Ms, double serverCpuPerSecond, double clientCpuPerSecond) {}

    @Test
    void validClientsAreAnsweredBitExactWhileAttackersRun() throws Exception {
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
            Phase quiet = valid(port, child.pid(), reference, QUIET_MS, null);
            Attack attack = new Attack(port);
            attack.start();
            Phase loaded;
            try {
                loaded = valid(port, child.pid(), reference, ATTACK_MS, attack);
            } finally {
                attack.stop();
            }
            long rssKb = peakRssKb(child.pid());
            assertTrue(child.isAlive(), "the server process died");
            var after = RawHttp.exchange(port, "GET", "/v1/model", Map.of(), null);
            assertEquals(200, after.status(), "still serving afterwards");
            assertTrue(attack.unexpected.isEmpty(), "unexpected answers to attacks: " + attack.unexpected);
            assertTrue(attack.idleClosed.get() >= attack.idleOpened.get() * 9 / 10,
                    attack.idleClosed + " of " + attack.idleOpened + " idle connections closed by the server");
            assertTrue(!ATTACKS.contains("slowloris") || attack.slowlorisClosed.get() > 0, "slowloris connections are cut off");
            assertTrue(rssKb < 1_200_000, "peak RSS " + rssKb + " kB");
            System.out.printf("ATTACK-MIX %s: quiet: %d requests, %.0f/s, p50 %.1f ms, p99 %.1f ms, CPU server %.2f client %.2f; under attack: %d"
                            + " requests, %.0f/s, p50 %.1f ms, p99 %.1f ms, CPU server %.2f client %.2f; attack requests %d (%s); idle closed %d/%d;"
                            + " slowloris closed %d; peak RSS %d MB; load %s%n", new java.util.TreeSet<>(ATTACKS),
                    quiet.requests(), quiet.perSecond(), quiet.p50Ms(), quiet.p99Ms(), quiet.serverCpuPerSecond(), quiet.clientCpuPerSecond(),
                    loaded.requests(), loaded.perSecond(), loaded.p50Ms(), loaded.p99Ms(), loaded.serverCpuPerSecond(), loaded.clientCpuPerSecond(), attack.sent.get(), attack.statuses, attack.idleClosed.get(),
                    attack.idleOpened.get(), attack.slowlorisClosed.get(), rssKb / 1024, Files.readString(Path.of("/proc/loadavg")).strip());
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
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Xmx256m", "-XX:+UseSerialGC",
                "-Dsun.net.httpserver.maxReqTime=6", "-Dsun.net.httpserver.maxRspTime=15", "-Djdk.httpserver.maxConnections=400"));
        String jfr = System.getProperty("loupe.attack.jfr");
        if (jfr != null) cmd.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true");
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), AttackServerMain.class.getName()));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static int port(Process child) throws IOException {
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
    private static Phase valid(int port, long pid, Map<Integer, float[]> reference, long ms, Attack attack) throws Exception {
        double cpu0 = cpuSeconds(pid), own0 = cpuSeconds(ProcessHandle.current().pid());
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
        assertTrue(failures.isEmpty(), failures.size() + " valid requests failed" + (attack != null ? " under attack" : "") + ": "
                + failures.stream().limit(5).toList());
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        return new Phase(sorted.size(), sorted.size() * 1000.0 / ms, sorted.get(sorted.size() / 2) / 1e6,
                sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1)) / 1e6, (cpuSeconds(pid) - cpu0) * 1000 / ms,
                (cpuSeconds(ProcessHandle.current().pid()) - own0) * 1000 / ms);
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

    /** The attackers, each on its own threads until {@link #stop}. */
    static final class Attack {
        final int port;
        final AtomicBoolean running = new AtomicBoolean(true);
        final List<Thread> threads = new ArrayList<>();
        final AtomicLong sent = new AtomicLong();
        final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
        final AtomicInteger idleOpened = new AtomicInteger(), idleClosed = new AtomicInteger(), slowlorisClosed = new AtomicInteger();
        final List<Socket> idle = Collections.synchronizedList(new ArrayList<>());

        Attack(int port) {
            this.port = port;
        }

        void start() {
            String positions = "0,".repeat(100_000) + "0";
            if (ATTACKS.contains("readouts")) loop(() -> expect(Map.of(), "{\"tokens\": [1, 2, 3], \"cache\": [{\"hook\": \"logits\", \"positions\": [" + positions + "]}]}", 413));
            String flood = ("{\"hook\": \"blocks.0.hook_resid_post\", \"op\": \"resample\", \"input\": {\"ids\": [1, 2, 3, 4, 5]}},").repeat(2000);
            if (ATTACKS.contains("resample")) loop(() -> expect(Map.of(), "{\"tokens\": [1, 2, 3], \"cache\": [\"logits\"], \"interventions\": [" + flood + "{\"hook\": \"blocks.0.hook_resid_post\", \"op\": \"zero\"}]}", 413));
            String heavy = ("{\"hook\": \"blocks.0.hook_resid_post\", \"op\": \"resample\", \"input\": {\"ids\": " + Arrays.toString(ids(256)) + "}},").repeat(7)
                    + "{\"hook\": \"blocks.1.hook_resid_post\", \"op\": \"resample\", \"input\": {\"ids\": " + Arrays.toString(ids(256)) + "}}";
            if (ATTACKS.contains("heavy")) loop(() -> expect(Map.of(), "{\"tokens\": " + Arrays.toString(ids(256)) + ", \"cache\": [\"blocks.4.hook_resid_post\"], \"interventions\": [" + heavy + "]}", 200, 429, 503));
            Random rnd = new Random(7);
            if (ATTACKS.contains("tokenize")) loop(() -> {
                StringBuilder w = new StringBuilder();
                for (int i = 0; i < 1500; i++) w.append((char) ('a' + rnd.nextInt(26)));
                expect(Map.of(), "{\"prompt\": \"" + w + "\"}", "/v1/tokenize", 200, 413);
                expect(Map.of(), "{\"prompt\": \"" + "q".repeat(500_000) + "\"}", "/v1/tokenize", 413);
            });
            if (ATTACKS.contains("crosssite")) loop(() -> {
                expect(Map.of("Host", "rebind.attacker.example"), "{\"prompt\": \"hi\"}", "/v1/tokenize", 403);
                expect(Map.of("Origin", "https://attacker.example"), "{\"prompt\": \"hi\"}", "/v1/tokenize", 403);
            });
            for (int i = 0; i < 4 && ATTACKS.contains("slowreaders"); i++) loop(this::slowReader);
            for (int i = 0; i < 20 && ATTACKS.contains("slowloris"); i++) loop(this::slowloris);
            if (ATTACKS.contains("idle")) threads.add(Thread.ofPlatform().start(this::idleConnections));
        }

        void stop() throws Exception {
            running.set(false);
            for (Thread t : threads) t.join(15_000);
            synchronized (idle) {
                for (Socket s : idle) s.close();
            }
        }

        private void loop(Runnable r) {
            threads.add(Thread.ofPlatform().start(() -> {
                while (running.get()) {
                    try {
                        r.run();
                    } catch (RuntimeException e) {
                        if (running.get()) unexpected.add(e.toString());
                    }
                }
            }));
        }

        private void expect(Map<String, String> headers, String body, int... allowed) {
            expect(headers, body, "/v1/run", allowed);
        }

        private void expect(Map<String, String> headers, String body, String path, int... allowed) {
            try {
                RawHttp.Response r = RawHttp.exchange(port, "POST", path, headers, body);
                sent.incrementAndGet();
                statuses.computeIfAbsent(r.status(), k -> new AtomicInteger()).incrementAndGet();
                // 503 with Retry-After is back-pressure (the memory budget is held by slow readers), never a failure
                if (r.status() != 503 && Arrays.stream(allowed).noneMatch(a -> a == r.status())) {
                    unexpected.add(path + " -> " + r.status() + " " + r.body().substring(0, Math.min(200, r.body().length())));
                }
            } catch (java.net.SocketException e) {
                // refused before its body was read: the server answered and closed while the attacker was still
                // sending, so the client sees a reset (on a quiet machine, where the refusal beats the upload)
                sent.incrementAndGet();
                statuses.computeIfAbsent(0, k -> new AtomicInteger()).incrementAndGet();
            } catch (IOException e) {
                if (running.get()) unexpected.add(path + ": " + e);
            }
        }

        /** Asks for a 10 MB response and never reads it; the server's response time limit (15 s here) ends it. */
        private void slowReader() {
            String body = "{\"tokens\": " + Arrays.toString(ids(256)) + ", \"cache\": [\"blocks.*.attn.hook_pattern\"]}";
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setReceiveBufferSize(4096);
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/run HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/vnd.safetensors\r\nContent-Length: " + body.length()
                        + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                sent.incrementAndGet();
                long until = System.currentTimeMillis() + 8000;
                while (running.get() && System.currentTimeMillis() < until) Thread.sleep(100);
            } catch (IOException | InterruptedException e) {
                // the server cut us off
            }
        }

        /** Sends a header byte every 200 ms; the server's request time limit must cut it off. */
        private void slowloris() {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(200);
                OutputStream out = s.getOutputStream();
                out.write("POST /v1/run HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                for (int i = 0; running.get(); i++) {
                    out.write('X');
                    out.flush();
                    try {
                        if (in.read() < 0) {
                            slowlorisClosed.incrementAndGet();
                            return;
                        }
                    } catch (java.net.SocketTimeoutException quiet) {
                        // still open
                    }
                }
            } catch (IOException e) {
                slowlorisClosed.incrementAndGet(); // reset by the server
            }
        }

        /** 150 connections that never send a byte; the server must close them. */
        private void idleConnections() {
            List<Socket> mine = new ArrayList<>();
            try {
                for (int i = 0; i < 150; i++) {
                    Socket s = new Socket("127.0.0.1", port);
                    s.setSoTimeout(1);
                    mine.add(s);
                    idle.add(s);
                    idleOpened.incrementAndGet();
                }
                boolean[] closed = new boolean[mine.size()];
                while (running.get()) {
                    for (int i = 0; i < mine.size(); i++) {
                        if (closed[i]) continue;
                        try {
                            if (mine.get(i).getInputStream().read() < 0) {
                                closed[i] = true;
                                idleClosed.incrementAndGet();
                            }
                        } catch (java.net.SocketTimeoutException stillOpen) {
                            // not yet
                        } catch (IOException reset) {
                            closed[i] = true;
                            idleClosed.incrementAndGet();
                        }
                    }
                }
            } catch (IOException e) {
                if (running.get()) unexpected.add("idle: " + e);
            }
        }
    }
}
