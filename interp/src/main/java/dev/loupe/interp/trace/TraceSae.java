package dev.loupe.interp.trace;

import dev.loupe.core.Tensor;

/** A sparse autoencoder (or transcoder) a trace may call by name: encode [..., dIn] → [..., dSae], decode back. */
public interface TraceSae {
    int dIn();

    int dSae();

    Tensor encode(Tensor x);

    Tensor decode(Tensor f);
}
