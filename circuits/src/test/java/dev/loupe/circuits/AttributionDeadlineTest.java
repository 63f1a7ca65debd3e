package dev.loupe.circuits;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.Transcoders;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/** A graph or QK attribution past its deadline stops at its next reverse pass (a server's request time limit). */
class AttributionDeadlineTest {
    @Test
    void reversePassesStopAtTheDeadline() throws Exception {
        HookedTransformer model = SharedModels.load("gpt2-tiny-random");
        Transcoders tc = CircuitTracerFormat.read(SharedModels.path("circuits-tiny/plt-jumprelu"));
        int[] ids = {50256, 464, 3797, 3332, 319, 262, 2603};
        long past = System.nanoTime() - 1;
        assertThrows(CancellationException.class, () -> Attribution.graph(model, tc, ids, AttributionOptions.DEFAULTS, past));
        assertThrows(CancellationException.class, () -> QkAttribution.of(model, tc, ids, 1, 3, 6, 2, 32, past));
        Attribution.graph(model, tc, ids, AttributionOptions.DEFAULTS, System.nanoTime() + 60_000_000_000L); // within it: a graph
    }
}
