package dev.loupe.sae;

/**
 * An SAE measured on held-out text.
 *
 * @param tokens positions evaluated (BOS positions excluded)
 * @param mse mean over tokens of ‖x − x̂‖²
 * @param fvu fraction of variance unexplained: Σ‖x − x̂‖² / Σ‖x − mean(x)‖²
 * @param l0 mean active latents per token
 * @param dead latents never active over the evaluation
 * @param dense latents active on more than 10% of tokens
 * @param ceClean next-token cross-entropy of the model
 * @param ceSae the same with the SAE's reconstruction spliced in at its hook
 * @param ceZero the same with the hook's activation zeroed
 * @param ceRecovered (ceZero − ceSae) / (ceZero − ceClean): 1 is perfect, 0 no better than ablation
 * @param kl mean KL(clean ‖ spliced) of the next-token distributions, in nats
 */
public record EvalReport(long tokens, double mse, double fvu, double l0, int dead, int dense, double ceClean, double ceSae, double ceZero,
                         double ceRecovered, double kl) {
    @Override
    public String toString() {
        return String.format("tokens %d | MSE %.5g | FVU %.4f | L0 %.2f | dead %d | dense %d | CE clean %.4f, SAE %.4f, zero-ablated %.4f"
                + " | CE recovered %.4f | KL %.5f", tokens, mse, fvu, l0, dead, dense, ceClean, ceSae, ceZero, ceRecovered, kl);
    }
}
