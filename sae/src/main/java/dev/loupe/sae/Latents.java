package dev.loupe.sae;

/**
 * The latent layer of one dictionary as an architecture sees it: how many latents, k, the per-latent
 * thresholds and the decoder rows. Decoder rows have {@code width} values: d_in for an SAE, d_out for a
 * transcoder, and the concatenated outputs of every later layer for a cross-layer transcoder's source layer.
 * Arrays are live (BatchTopK updates its threshold in place).
 *
 * @param count number of latents
 * @param k latents kept per token (TopK, BatchTopK; 0 otherwise)
 * @param threshold [count] or null
 * @param wDec [count, width]
 * @param width decoder row width
 */
public record Latents(int count, int k, float[] threshold, float[] wDec, int width) {}
