package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The server's own connection cap ({@link LoupeServer#CONNECTION_LIMITS}, 512), in a process of its own so that no
 * other test's server has fixed the JDK's limits first: 600 connections that never send a byte, opened at once, leave
 * at most 512 held; the ones past the cap are closed at once (long before the 30 s request time limit), and the server
 * answers again as soon as the idle ones go.
 */
class ConnectionCapTest {
    static final int CAP = 512, OPENED = 600;

    @Test
    void connectionsPastTheCapAreClosedAtOnce() throws Exception {
        Process server = AttackMixTest.javaProcess(List.of("-Xmx256m"), AttackServerMain.class);
        List<Socket> idle = new ArrayList<>();
        try {
            int port = AttackMixTest.port(server);
            for (int i = 0; i < OPENED; i++) idle.add(new Socket("127.0.0.1", port));
            int closed = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            boolean[] seen = new boolean[OPENED];
            while (closed < OPENED - CAP && System.nanoTime() < end) {
                for (int i = 0; i < OPENED; i++) {
                    if (!seen[i] && closedByServer(idle.get(i))) {
                        seen[i] = true;
                        closed++;
                    }
                }
            }
            assertTrue(closed >= OPENED - CAP, closed + " of " + OPENED + " idle connections closed within 10 s; the cap is " + CAP);
            for (Socket s : idle) s.close();
            idle.clear();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int status = 0;
            while (status != 200 && System.nanoTime() < deadline) {
                try {
                    status = RawHttp.exchange(port, "GET", "/v1/model", Map.of(), null).status();
                } catch (IOException closedWhileTheServerForgetsTheIdleOnes) {
                    Thread.sleep(50);
                }
            }
            assertEquals(200, status, "serving again once the idle connections are gone");
        } finally {
            for (Socket s : idle) s.close();
            server.destroyForcibly().waitFor();
        }
    }

    /** True when the server has closed or reset {@code s} (a read sees the end of the stream), false while it is open. */
    private static boolean closedByServer(Socket s) throws IOException {
        s.setSoTimeout(1);
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketTimeoutException open) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }
}
