package dev.loupe.server.http;

import java.net.URI;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Keeps web pages elsewhere from driving the server through a visitor's browser. DNS rebinding points an attacker's
 * name at 127.0.0.1, so a keyless server answers only Host names it knows ({@code localhost}, the address it is bound
 * to, names given with {@code --allow-host}) or IP literals (an IP in the address bar is its own origin, nothing to
 * rebind); a server with API keys leaves that to the key. A request that changes state (any method but GET and
 * HEAD) carrying an {@code Origin} must come from the origin it is addressed to, so a cross-site form or fetch POST
 * is refused before it runs.
 */
public final class SameOrigin {
    private final Set<String> names;
    private final boolean checkHost;

    /**
     * @param bindHost the address the server listens on
     * @param keyed whether API keys are required (then any Host is answered)
     * @param allowed further Host names a keyless server answers (e.g. a machine name on a private network)
     */
    public SameOrigin(String bindHost, boolean keyed, List<String> allowed) {
        names = new HashSet<>(List.of("localhost"));
        names.add(bindHost.toLowerCase(Locale.ROOT));
        for (String a : allowed) names.add(a.toLowerCase(Locale.ROOT));
        checkHost = !keyed;
    }

    /** Refuses the call with 403 when its Host or Origin says it came through another site. */
    void check(Call c) {
        String host = c.header("Host");
        if (checkHost && (host == null || !known(hostName(host)))) {
            throw new ApiError(403, "Host '" + host + "' is not a name this server answers (a keyless server answers localhost, IP addresses and"
                    + " names given with --allow-host), so a page elsewhere cannot reach it by DNS rebinding");
        }
        String method = c.method();
        if (method.equals("GET") || method.equals("HEAD")) return;
        String origin = c.header("Origin");
        if (origin == null) return; // not sent by a browser's cross-site request
        String from = authority(origin);
        if (from == null || host == null || !from.equalsIgnoreCase(host)) {
            throw new ApiError(403, "Origin '" + origin + "' is not this server (" + host + "); cross-site requests that change state are refused");
        }
    }

    private boolean known(String name) {
        return name != null && (names.contains(name) || ipLiteral(name));
    }

    /** The name part of a Host header value ("[::1]:7070" gives "::1"), lower case; null when malformed. */
    static String hostName(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? null : h.substring(1, end);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    private static boolean ipLiteral(String name) {
        return name.matches("\\d{1,3}(\\.\\d{1,3}){3}") || (name.contains(":") && name.matches("[0-9a-f:.]+"));
    }

    /** "host:port" of an origin such as "http://localhost:7070" (as a Host header would say it); null when it is not one. */
    private static String authority(String origin) {
        try {
            URI u = new URI(origin);
            return u.getRawAuthority();
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }
}
