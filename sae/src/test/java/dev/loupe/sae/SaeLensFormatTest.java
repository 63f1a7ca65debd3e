package dev.loupe.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.model.format.SafeTensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SaeLensFormatTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"standard", "topk", "jumprelu"})
    void roundTripKeepsTensorsAndConfig(String arch) throws Exception {
        Sae sae = SaeGradientTest.sae(arch, 3);
        SaeLensFormat.write(sae, dir.resolve(arch));
        Sae back = SaeLensFormat.read(dir.resolve(arch));
        assertEquals(sae.config(), back.config());
        assertArrayEquals(sae.wEnc().data(), back.wEnc().data());
        assertArrayEquals(sae.bEnc().data(), back.bEnc().data());
        assertArrayEquals(sae.wDec().data(), back.wDec().data());
        assertArrayEquals(sae.bDec().data(), back.bDec().data());
        if (sae.threshold() == null) assertNull(back.threshold());
        else assertArrayEquals(sae.threshold().data(), back.threshold().data());
    }

    @Test
    void batchTopKIsWrittenAsTheJumpReluItIsAtInference() throws Exception {
        Sae sae = SaeGradientTest.sae("batchtopk", 3);
        java.util.Arrays.fill(sae.threshold, 0.25f);
        SaeLensFormat.write(sae, dir);
        Sae back = SaeLensFormat.read(dir);
        assertEquals("jumprelu", back.config().architecture());
        float[] x = SaeGradientTest.data(4);
        assertArrayEquals(sae.encodeSparse(x, SaeGradientTest.ROWS).dense(), back.encodeSparse(x, SaeGradientTest.ROWS).dense());
    }

    /** A file laid out by hand as SAELens publishes it: W_enc [d_in, d_sae] must not be read transposed. */
    @Test
    void handMadeSaeLensFileLoadsWithCorrectOrientation() throws Exception {
        // d_in 2, d_sae 3. W_enc columns are latent encoders: latent0 = (1, 0), latent1 = (0, 2), latent2 = (1, 1)
        Tensor wEnc = Tensor.of(new float[] {1, 0, 1, 0, 2, 1}, 2, 3);
        Tensor bEnc = Tensor.of(new float[] {0, -1, 0.5f}, 3);
        Tensor wDec = Tensor.of(new float[] {1, 0, 0, 1, 0.5f, 0.5f}, 3, 2);
        Tensor bDec = Tensor.of(new float[] {0.1f, -0.1f}, 2);
        new SafeTensorsWriter().add("W_enc", wEnc).add("b_enc", bEnc).add("W_dec", wDec).add("b_dec", bDec).write(dir.resolve("sae_weights.safetensors"));
        Files.writeString(dir.resolve("cfg.json"), """
            {"architecture": "standard", "d_in": 2, "d_sae": 3, "dtype": "float32", "device": "cpu",
             "model_name": "tiny", "hook_name": "blocks.0.hook_resid_pre", "hook_layer": 0, "hook_head_index": null,
             "activation_fn_str": "relu", "activation_fn_kwargs": {}, "apply_b_dec_to_input": true,
             "finetuning_scaling_factor": false, "context_size": 128, "prepend_bos": true,
             "normalize_activations": "none", "sae_lens_training_version": "3.0.0"}
            """);
        Sae sae = SaeLensFormat.read(dir);
        assertEquals("blocks.0.hook_resid_pre", sae.config().hookName());
        // x = (2.1, 0.9): x − b_dec = (2, 1); pre = (2, 2·1 − 1, 2 + 1 + 0.5) = (2, 1, 3.5), all positive
        float[] f = sae.encode(Tensor.of(new float[] {2.1f, 0.9f}, 1, 2)).data();
        assertArrayEquals(new float[] {2, 1, 3.5f}, f, 1e-6f);
        // x̂ = 2·(1, 0) + 1·(0, 1) + 3.5·(0.5, 0.5) + b_dec = (3.85, 2.65)
        assertArrayEquals(new float[] {3.85f, 2.65f}, sae.decode(Tensor.of(f, 1, 3)).data(), 1e-5f);
    }

    @Test
    void topKConfigFromSaeLensSixLayout() {
        SaeConfig c = SaeLensFormat.parseConfig("""
            {"architecture": "topk", "d_in": 4, "d_sae": 8, "k": 3, "apply_b_dec_to_input": true, "normalize_activations": "none",
             "metadata": {"hook_name": "blocks.1.hook_resid_post", "hook_layer": 1, "model_name": "m", "sae_lens_version": "6.5.0"}}
            """, "cfg.json");
        assertEquals(new SaeConfig("topk", 4, 8, "blocks.1.hook_resid_post", 1, "m", 3, true, "none", 0), c);
    }

    @Test
    void mismatchedShapesNameTheFiles() throws Exception {
        new SafeTensorsWriter().add("W_enc", Tensor.zeros(3, 2)).add("b_enc", Tensor.zeros(3)).add("W_dec", Tensor.zeros(3, 2))
                .add("b_dec", Tensor.zeros(2)).write(dir.resolve("sae_weights.safetensors"));
        Files.writeString(dir.resolve("cfg.json"), "{\"architecture\": \"standard\", \"d_in\": 2, \"d_sae\": 3, \"hook_name\": \"h\"}");
        var e = assertThrows(IllegalArgumentException.class, () -> SaeLensFormat.read(dir));
        assertTrue(e.getMessage().contains("W_enc") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("sae_weights.safetensors"), e.getMessage());
    }
}
