package dev.loupe.sae.transcoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.loupe.model.SharedModels;
import dev.loupe.sae.SaeArchitectures;
import dev.loupe.sae.SparseCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CircuitTracerFormatTest {
    @TempDir
    Path dir;

    private static Path shared(String set) {
        return SharedModels.path("circuits-tiny/" + set);
    }

    @ParameterizedTest
    @ValueSource(strings = {"plt-jumprelu", "plt-skip"})
    void readsTheReferenceSetsAndRoundTrips(String name) throws Exception {
        TranscoderSet set = (TranscoderSet) CircuitTracerFormat.read(shared(name));
        assertEquals(2, set.nLayers());
        assertEquals(64, set.dModel());
        assertEquals(64, set.width(0));
        assertEquals(TranscoderHooks.MLP, set.hooks());
        assertEquals("circuits-tiny-" + name, set.scan());
        boolean jump = name.equals("plt-jumprelu");
        assertEquals(jump ? "jumprelu" : "standard", set.activation().name());
        assertEquals(jump, set.layer(1).threshold() != null);
        assertEquals(!jump, set.layer(1).skip() != null);

        CircuitTracerFormat.write(set, dir);
        TranscoderSet back = (TranscoderSet) CircuitTracerFormat.read(dir);
        assertEquals(set.hooks(), back.hooks());
        assertEquals(set.activation(), back.activation());
        for (int l = 0; l < 2; l++) {
            Transcoder a = set.layer(l), b = back.layer(l);
            assertArrayEquals(a.wEnc(), b.wEnc());
            assertArrayEquals(a.bEnc(), b.bEnc());
            assertArrayEquals(a.wDec(), b.wDec());
            assertArrayEquals(a.bDec(), b.bDec());
            assertArrayEquals(a.threshold(), b.threshold());
            assertArrayEquals(a.wSkip(), b.wSkip());
        }
        assertEquals("model_kind: transcoder_set", Files.readAllLines(dir.resolve("config.yaml")).get(0));
        assertEquals("feature_input_hook: mlp.hook_in", Files.readAllLines(dir.resolve("config.yaml")).get(2));
    }

    @Test
    void encodeAndDecodeFollowTheDefinition() throws Exception {
        TranscoderSet set = (TranscoderSet) CircuitTracerFormat.read(shared("plt-skip"));
        Transcoder t = set.layer(0);
        int d = t.dModel(), w = t.width(), rows = 3;
        float[] x = random(rows * d, 1);
        SparseCodes f = t.encode(x, rows);
        float[] dense = f.dense();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < w; j++) {
                double pre = t.bEnc()[j];
                for (int i = 0; i < d; i++) pre += (double) x[r * d + i] * t.wEnc()[j * d + i];
                assertEquals(Math.max(pre, 0), dense[r * w + j], 1e-5);
            }
        }
        float[] recon = t.decode(f, x);
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < d; i++) {
                double y = t.bDec()[i];
                for (int j = 0; j < w; j++) y += (double) dense[r * w + j] * t.wDec()[j * d + i];
                for (int k = 0; k < d; k++) y += (double) x[r * d + k] * t.wSkip()[i * d + k];
                assertEquals(y, recon[r * d + i], 1e-5);
            }
        }
        assertArrayEquals(recon, set.reconstruct(0, new SparseCodes[] {f, null}, x, rows), 1e-6f);
    }

    @Test
    void crossLayerTranscoderRoundTripsAndWritesToLaterLayers() throws Exception {
        int n = 3, d = 4, w = 5;
        float[][] wEnc = new float[n][], bEnc = new float[n][], wDec = new float[n][], bDec = new float[n][], thr = new float[n][], skip = new float[n][];
        for (int l = 0; l < n; l++) {
            wEnc[l] = random(w * d, 10 + l);
            bEnc[l] = random(w, 20 + l);
            wDec[l] = random(w * (n - l) * d, 30 + l);
            bDec[l] = random(d, 40 + l);
            thr[l] = random(w, 50 + l);
            skip[l] = random(d * d, 60 + l);
        }
        CrossLayerTranscoder clt = new CrossLayerTranscoder(n, d, w, SaeArchitectures.get("jumprelu"), wEnc, bEnc, wDec, bDec, thr, 0, skip,
                TranscoderHooks.MLP, "toy-clt");
        CircuitTracerFormat.write(clt, dir);
        CrossLayerTranscoder back = (CrossLayerTranscoder) CircuitTracerFormat.read(dir);
        assertEquals("jumprelu", back.activation().name());
        assertEquals("toy-clt", back.scan());
        for (int l = 0; l < n; l++) {
            assertArrayEquals(wEnc[l], back.wEnc()[l]);
            assertArrayEquals(wDec[l], back.wDec()[l]);
            assertArrayEquals(thr[l], back.threshold()[l]);
            assertArrayEquals(skip[l], back.wSkip()[l]);
        }
        // layer 2's reconstruction: b_dec[2] + features of layers 0, 1, 2 through their decoders to layer 2, + skip
        float[] x = random(d, 7);
        SparseCodes[] codes = new SparseCodes[n];
        for (int l = 0; l < n; l++) codes[l] = SparseCodes.fromDense(new float[] {0, 1.5f, 0, 0, 2f}, 1, w);
        float[] got = back.reconstruct(2, codes, x, 1);
        for (int i = 0; i < d; i++) {
            double y = bDec[2][i];
            for (int l = 0; l < n; l++) {
                int span = n - l;
                y += 1.5 * wDec[l][(1 * span + 2 - l) * d + i] + 2.0 * wDec[l][(4 * span + 2 - l) * d + i];
            }
            for (int k = 0; k < d; k++) y += (double) x[k] * skip[2][i * d + k];
            assertEquals(y, got[i], 1e-5);
        }
    }

    @Test
    void badConfigsNameTheProblem() throws Exception {
        Files.writeString(dir.resolve("config.yaml"), "model_kind: transcoder_set\ntranscoders:\n  - hf://org/repo/layer_0.safetensors\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CircuitTracerFormat.read(dir));
        assertNotNull(e.getMessage());
        assertEquals(true, e.getMessage().contains("Hugging Face Hub"));
        Files.writeString(dir.resolve("config.yaml"), "model_kind: other\n");
        assertThrows(IllegalArgumentException.class, () -> CircuitTracerFormat.read(dir));
        assertNull(SimpleYaml.parse("# only a comment\n", "x").get("transcoders"));
    }

    @Test
    void yamlAcceptsCircuitTracersOlderEntryStyle() {
        var cfg = SimpleYaml.parse("""
                model_name: "google/gemma-2-2b"   # a comment
                feature_input_hook: "ln2.hook_normalized"
                transcoders:
                  - id: "t0"
                    layer: 0
                    filepath: 'a/layer_0.safetensors'
                """, "cfg");
        assertEquals("google/gemma-2-2b", cfg.get("model_name"));
        var entry = (java.util.Map<?, ?>) ((java.util.List<?>) cfg.get("transcoders")).get(0);
        assertEquals("0", entry.get("layer"));
        assertEquals("a/layer_0.safetensors", entry.get("filepath"));
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
