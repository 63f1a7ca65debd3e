package dev.loupe.server.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.interp.trace.TraceValue;
import dev.loupe.server.http.ApiError;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Stored trace values: per key, within a quota, expiring after their time to live. */
class ValueStoreTest {
    static TraceValue floats(int n) {
        return new TraceValue(Tensor.zeros(n), TraceValue.DType.FLOAT32);
    }

    @Test
    void valuesBelongToTheirKeyAndStayWithinTheQuota() {
        ValueStore s = new ValueStore(60_000, 1000);
        TraceValue v = floats(100); // 400 bytes
        s.put("alice", "clean", v);
        assertSame(v, s.get("alice", "clean"));
        assertNull(s.get("bob", "clean"));
        s.put("alice", "clean", floats(200)); // replacing counts only the difference
        ApiError e = assertThrows(ApiError.class, () -> s.put("alice", "more", floats(60)));
        assertEquals(413, e.status());
        assertTrue(e.getMessage().contains("quota is 1000"), e.getMessage());
        assertThrows(ApiError.class, () -> s.checkRoom("alice", Map.of("x", 300L)));
        s.put("bob", "more", floats(200));
        assertEquals(1, s.delete("alice", List.of("clean", "absent")));
        assertEquals(0, s.used("alice"));
        assertEquals(800, s.used("bob"));
    }

    @Test
    void valuesExpire() throws InterruptedException {
        ValueStore s = new ValueStore(30, 1000);
        s.put("k", "v", floats(4));
        Thread.sleep(60);
        assertNull(s.get("k", "v"));
        assertEquals(0, s.list("k").size());
    }
}
