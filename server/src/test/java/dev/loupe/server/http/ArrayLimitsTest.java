package dev.loupe.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Array floods are refused while streaming, naming the field; other arrays and malformed bodies pass through to the parser. */
class ArrayLimitsTest {
    static final ArrayLimits LIMITS = new ArrayLimits(Map.of("positions", 4, "interventions", 2));

    private static void check(String json) {
        LIMITS.check(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void floodsAreRefusedNamingTheirPlace() {
        ApiError e = assertThrows(ApiError.class, () -> check("{\"tokens\": [1, 2], \"cache\": [\"logits\", {\"hook\": \"x\", \"positions\": [0, 0, 0, 0, 0]}]}"));
        assertEquals(413, e.status());
        assertEquals("body.cache[1].positions: more than 4 entries; a request may give at most 4 'positions'", e.getMessage());
        e = assertThrows(ApiError.class, () -> check("{\"interventions\": [{\"op\": \"zero\"}, {\"op\": \"zero\"}, {\"op\": \"zero\"}]}"));
        assertEquals("body.interventions: more than 2 entries; a request may give at most 2 'interventions'", e.getMessage());
    }

    @Test
    void otherArraysAndMalformedBodiesPass() {
        check("{\"tokens\": [1, 2, 3, 4, 5, 6, 7], \"cache\": [{\"hook\": \"x\", \"positions\": [0, 1, 2, 3]}]}");
        check("{\"interventions\": [{\"op\": \"set\", \"value\": [[1, 2, 3], [4, 5, 6], [7, 8, 9]]}]}"); // nested arrays are the value's, not entries
        check("{\"positions\": [0, 0,, 0, 0, 0, 0]}"); // malformed before the limit: the parser reports it
    }
}
