package dev.loupe.sae;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SAE folders whose config or parameters cannot be what they claim are refused, naming the file and the field or tensor. */
class HostileSaeTest {
    @TempDir
    Path tmp;

    private static void assertNames(Throwable e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' lacks '" + p + "'");
    }

    @Test
    void dSaeBeyondIntIsRefusedNotTruncated() {
        String cfg = "{\"architecture\": \"standard\", \"d_in\": 8, \"d_sae\": " + ((1L << 32) + 512) + ", \"hook_name\": \"blocks.0.hook_resid_post\"}";
        var e = assertThrows(IllegalArgumentException.class, () -> SaeLensFormat.parseConfig(cfg, "x/cfg.json"));
        assertNames(e, "x/cfg.json", "'d_sae'", "4294967808");
    }

    @Test
    void fractionalOrTextualSizesAreRefused() {
        assertNames(assertThrows(IllegalArgumentException.class, () -> SaeLensFormat.parseConfig("{\"d_in\": 8.5, \"d_sae\": 16}", "c.json")), "'d_in'");
        assertNames(assertThrows(IllegalArgumentException.class, () -> SaeLensFormat.parseConfig("{\"d_in\": 8, \"d_sae\": \"16\"}", "c.json")), "'d_sae'");
    }

    @Test
    void nanParameterIsRefusedNamingTheTensor() throws Exception {
        int dIn = 4, dSae = 6;
        SaeConfig cfg = SaeLensFormat.parseConfig("{\"d_in\": " + dIn + ", \"d_sae\": " + dSae + ", \"hook_name\": \"h\"}", "cfg");
        float[] dec = new float[dSae * dIn];
        for (int i = 0; i < dec.length; i++) dec[i] = (i % 7) * 0.1f;
        float[] bDec = new float[dIn];
        bDec[2] = Float.NaN;
        Sae sae = Sae.of(cfg, Tensor.of(new float[dIn * dSae], dIn, dSae), Tensor.zeros(dSae), Tensor.of(dec, dSae, dIn), Tensor.of(bDec, dIn), null);
        Path dir = tmp.resolve("sae");
        SaeLensFormat.write(sae, dir);
        var e = assertThrows(IllegalArgumentException.class, () -> SaeLensFormat.read(dir));
        assertNames(e, dir.resolve("sae_weights.safetensors").toString(), "'b_dec'", "NaN");
        assertTrue(Files.exists(dir.resolve("cfg.json")));
    }
}
