package dev.loupe.sae;

import java.util.Arrays;

/**
 * A transcoder set measured on held-out text (BOS positions excluded from the reconstruction metrics and left
 * untouched in every run).
 *
 * @param tokens positions evaluated per layer
 * @param fvu fraction of variance of the MLP outputs unexplained, all layers pooled: Σ‖y − ŷ‖² / Σ‖y − mean(y)‖²
 * @param layerFvu the same per replaced layer
 * @param l0 mean active features per token and layer (a CLT feature counts once, at its source layer)
 * @param dead features never active over the evaluation (all layers)
 * @param ceClean next-token cross-entropy of the model
 * @param ceReplaced the same with every replaced layer's MLP output taken from the transcoders (reading the MLP
 *     inputs of the replaced model itself)
 * @param ceZero the same with those MLP outputs zeroed
 * @param ceRecovered (ceZero − ceReplaced) / (ceZero − ceClean): 1 is perfect, 0 no better than ablation
 */
public record TranscoderReport(long tokens, double fvu, double[] layerFvu, double l0, int dead, double ceClean, double ceReplaced, double ceZero,
                               double ceRecovered) {
    @Override
    public String toString() {
        return String.format("tokens %d | FVU %.4f (per layer %s) | L0 %.2f | dead %d | CE clean %.4f, replaced %.4f, zero-ablated %.4f | CE recovered %.4f",
                tokens, fvu, Arrays.stream(layerFvu).mapToObj(v -> String.format("%.3f", v)).toList(), l0, dead, ceClean, ceReplaced, ceZero, ceRecovered);
    }
}
