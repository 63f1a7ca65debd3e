package dev.loupe.server.trace;

import dev.loupe.core.Tensor;
import dev.loupe.interp.trace.TraceSae;
import dev.loupe.sae.Sae;

/** A served SAE as traces call it ({@code sae_encode}, {@code sae_decode}): the library's own encode and decode. */
public record SaeForTraces(Sae sae) implements TraceSae {
    @Override
    public int dIn() {
        return sae.dIn();
    }

    @Override
    public int dSae() {
        return sae.dSae();
    }

    @Override
    public Tensor encode(Tensor x) {
        return sae.encode(x);
    }

    @Override
    public Tensor decode(Tensor f) {
        return sae.decode(f);
    }
}
