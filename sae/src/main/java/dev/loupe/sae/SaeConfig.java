package dev.loupe.sae;

/**
 * What an SAE is and where it reads: the fields SAELens writes to {@code cfg.json}, named as there.
 *
 * @param architecture registry name: {@code standard} (ReLU + L1), {@code topk}, {@code batchtopk}, {@code jumprelu}
 * @param dIn width of the activation it reads (d_model for the residual stream)
 * @param dSae number of latents (dictionary size)
 * @param hookName the model hook it reads and can be spliced into, e.g. {@code blocks.2.hook_resid_post}
 * @param hookLayer the layer of that hook (-1 for model-level hooks such as {@code hook_embed})
 * @param modelName the model it was trained on (free text; SAELens uses the TransformerLens name)
 * @param k latents kept per token by TopK / BatchTopK (0 for other architectures)
 * @param applyBDecToInput subtract b_dec from the input before encoding (SAELens default true)
 * @param normalizeActivations SAELens normalization mode; Loupe folds its scaling into the weights and writes {@code none}
 * @param contextSize tokens per context the SAE was trained on (metadata)
 */
public record SaeConfig(String architecture, int dIn, int dSae, String hookName, int hookLayer, String modelName, int k,
                        boolean applyBDecToInput, String normalizeActivations, int contextSize) {
    public SaeConfig {
        if (dIn <= 0 || dSae <= 0) throw new IllegalArgumentException("SAE config: d_in and d_sae must be positive, got d_in=" + dIn + ", d_sae=" + dSae);
        SaeArchitectures.get(architecture);
        if (SaeArchitectures.get(architecture).usesK() && (k <= 0 || k > dSae)) {
            throw new IllegalArgumentException("SAE config: " + architecture + " needs 0 < k <= d_sae (" + dSae + "), got k=" + k);
        }
        if (normalizeActivations == null) normalizeActivations = "none";
        if (modelName == null) modelName = "";
    }

    /** This config with another architecture and k (e.g. BatchTopK saved for inference as JumpReLU). */
    public SaeConfig withArchitecture(String arch, int newK) {
        return new SaeConfig(arch, dIn, dSae, hookName, hookLayer, modelName, newK, applyBDecToInput, normalizeActivations, contextSize);
    }
}
