package dev.loupe.server;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Raw HTTP calls for tests that look at status codes and headers. */
final class Http {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private Http() {}

    static HttpResponse<byte[]> post(TestServer ts, String path, String body, String accept) throws IOException, InterruptedException {
        return send(ts, HttpRequest.newBuilder(ts.uri().resolve(path)).header("Authorization", "Bearer " + TestServer.KEY)
                .header("Accept", accept).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    static HttpResponse<byte[]> send(TestServer ts, HttpRequest.Builder b) throws IOException, InterruptedException {
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
