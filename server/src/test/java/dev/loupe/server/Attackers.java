package dev.loupe.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.server.http.Body;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The attackers of {@link AttackMixTest}, each class on its own threads, in a process of their own so that their
 * allocation, GC and CPU do not count against the valid clients' JVM: {@code Attackers PORT CLASSES MILLIS} prints
 * "STARTED" once every attacker runs, attacks for MILLIS, then prints "RESULT " and a JSON summary
 * ({@link #summary}) and exits.
 */
public final class Attackers {

    public static void main(String[] args) throws Exception {
        Attackers a = new Attackers(Integer.parseInt(args[0]), Set.of(args[1].split(",")));
        a.start();
        System.out.println("STARTED");
        System.out.flush();
        Thread.sleep(Long.parseLong(args[2]));
        a.stop();
        System.out.println("RESULT " + a.summary());
        System.out.flush();
        System.exit(0); // attacker threads blocked on a socket the server keeps open do not hold the process
    }

    /** What the attacks got: requests sent, their statuses (0: reset before the body was read), unexpected answers, closed sockets. */
    ObjectNode summary() {
        ObjectNode o = Body.JSON.createObjectNode();
        o.put("sent", sent.get()).put("idle_opened", idleOpened.get()).put("idle_closed", idleClosed.get()).put("slowloris_closed", slowlorisClosed.get());
        ObjectNode s = o.putObject("statuses");
        new java.util.TreeMap<>(statuses).forEach((k, v) -> s.put(Integer.toString(k), v.get()));
        var u = o.putArray("unexpected");
        unexpected.stream().limit(20).forEach(u::add);
        o.put("unexpected_count", unexpected.size());
        return o;
    }

    final int port;
    final Set<String> classes;
    final AtomicBoolean running = new AtomicBoolean(true);
    final List<Thread> threads = new ArrayList<>();
    final AtomicLong sent = new AtomicLong();
    final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
    final AtomicInteger idleOpened = new AtomicInteger(), idleClosed = new AtomicInteger(), slowlorisClosed = new AtomicInteger();
    final List<Socket> idle = Collections.synchronizedList(new ArrayList<>());

    Attackers(int port, Set<String> classes) {
        this.port = port;
        this.classes = classes;
    }

    void start() {
        String positions = "0,".repeat(100_000) + "0";
        if (classes.contains("readouts")) loop(() -> expect(Map.of(), "{\"tokens\": [1, 2, 3], \"cache\": [{\"hook\": \"logits\", \"positions\": [" + positions + "]}]}", 413));
        String flood = ("{\"hook\": \"blocks.0.hook_resid_post\", \"op\": \"resample\", \"input\": {\"ids\": [1, 2, 3, 4, 5]}},").repeat(2000);
        if (classes.contains("resample")) loop(() -> expect(Map.of(), "{\"tokens\": [1, 2, 3], \"cache\": [\"logits\"], \"interventions\": [" + flood + "{\"hook\": \"blocks.0.hook_resid_post\", \"op\": \"zero\"}]}", 413));
        String heavy = ("{\"hook\": \"blocks.0.hook_resid_post\", \"op\": \"resample\", \"input\": {\"ids\": " + Arrays.toString(AttackMixTest.ids(256)) + "}},").repeat(7)
                + "{\"hook\": \"blocks.1.hook_resid_post\", \"op\": \"resample\", \"input\": {\"ids\": " + Arrays.toString(AttackMixTest.ids(256)) + "}}";
        if (classes.contains("heavy")) loop(() -> expect(Map.of(), "{\"tokens\": " + Arrays.toString(AttackMixTest.ids(256)) + ", \"cache\": [\"blocks.4.hook_resid_post\"], \"interventions\": [" + heavy + "]}", 200, 429, 503));
        Random rnd = new Random(7);
        if (classes.contains("tokenize")) loop(() -> {
            StringBuilder w = new StringBuilder();
            for (int i = 0; i < 1500; i++) w.append((char) ('a' + rnd.nextInt(26)));
            expect(Map.of(), "{\"prompt\": \"" + w + "\"}", "/v1/tokenize", 200, 413);
            expect(Map.of(), "{\"prompt\": \"" + "q".repeat(500_000) + "\"}", "/v1/tokenize", 413);
        });
        if (classes.contains("crosssite")) loop(() -> {
            expect(Map.of("Host", "rebind.attacker.example"), "{\"prompt\": \"hi\"}", "/v1/tokenize", 403);
            expect(Map.of("Origin", "https://attacker.example"), "{\"prompt\": \"hi\"}", "/v1/tokenize", 403);
        });
        for (int i = 0; i < 4 && classes.contains("slowreaders"); i++) loop(this::slowReader);
        for (int i = 0; i < 20 && classes.contains("slowloris"); i++) loop(this::slowloris);
        if (classes.contains("idle")) threads.add(Thread.ofPlatform().start(this::idleConnections));
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
        String body = "{\"tokens\": " + Arrays.toString(AttackMixTest.ids(256)) + ", \"cache\": [\"blocks.*.attn.hook_pattern\"]}";
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
