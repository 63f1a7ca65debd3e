package dev.loupe.sae;

import java.util.Locale;

/**
 * What one training step measured on its batch.
 *
 * @param loss total loss (mse + sparsity + aux)
 * @param mse mean over tokens of the squared reconstruction error summed over d_in
 * @param sparsity the architecture's penalty (already weighted by its coefficient)
 * @param aux the AuxK loss (0 when not used or no latent is dead)
 * @param l0 mean active latents per token
 * @param fvu fraction of variance unexplained: Σ‖x − x̂‖² / Σ‖x − mean(x)‖²
 */
public record StepStats(double loss, double mse, double sparsity, double aux, double l0, double fvu) {
    /** The live figures of a progress bar: L0, FVU, how many latents are dead, loss. */
    String figures(int dead) {
        return String.format(Locale.ROOT, "L0 %.1f | FVU %.4f | dead %d | loss %.4g", l0, fvu, dead, loss);
    }
}
