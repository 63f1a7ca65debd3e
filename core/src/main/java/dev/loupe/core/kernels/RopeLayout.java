package dev.loupe.core.kernels;

/** Which dimensions of a head rotary embeddings rotate together. */
public enum RopeLayout {
    /** Pairs (i, i + rotaryDim/2): Hugging Face Llama/NeoX ("rotate_half"). */
    ROTATE_HALF,
    /** Pairs (2i, 2i + 1): Meta's original Llama, llama2.c, GPT-J. */
    INTERLEAVED
}
