package dev.loupe.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.GemmaScopeNpz;
import dev.loupe.sae.transcoder.SaeLensTranscoder;
import dev.loupe.sae.transcoder.Transcoder;
import dev.loupe.sae.transcoder.TranscoderHooks;
import dev.loupe.sae.transcoder.TranscoderSet;
import dev.loupe.sae.transcoder.Transcoders;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Trained transcoders through circuit-tracer's layout and back; Gemma Scope .npz and SAELens transcoders read. */
class TranscoderFormatsTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"transcoder,jumprelu", "transcoder,topk", "skip_transcoder,standard", "clt,jumprelu", "clt,topk"})
    void circuitTracerLayoutRoundTripsTrainedWeights(String kind, String act) throws Exception {
        int[] layers = kind.equals("clt") ? new int[] {0, 1, 2} : new int[] {0, 1};
        TranscoderWeights w = TranscoderGradientTest.weights(kind, act, layers, 3);
        Transcoders t = w.toTranscoders();
        if (t instanceof TranscoderSet s) CircuitTracerFormat.write(s, dir);
        else CircuitTracerFormat.write((dev.loupe.sae.transcoder.CrossLayerTranscoder) t, dir);
        Transcoders read = CircuitTracerFormat.read(dir);
        assertEquals(t.getClass(), read.getClass());
        TranscoderWeights back = TranscoderWeights.of(read, "test");
        assertEquals(w.spec(), back.spec());
        Map<String, float[]> a = w.parameters(), b = back.parameters();
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) assertArrayEquals(a.get(name), b.get(name), name);
        // the inference type computes what the training weights compute, layer by layer
        int d = TranscoderGradientTest.D, rows = TranscoderGradientTest.ROWS, nl = layers.length;
        float[] x = TranscoderGradientTest.data(nl * d, 9);
        float[] want = w.reconstruct(x, rows);
        dev.loupe.sae.SparseCodes[] codes = new dev.loupe.sae.SparseCodes[nl];
        for (int l = 0; l < nl; l++) {
            float[] xl = new float[rows * d];
            for (int r = 0; r < rows; r++) System.arraycopy(x, (r * nl + l) * d, xl, r * d, d);
            codes[l] = read.encode(l, xl, rows);
            float[] got = read.reconstruct(l, codes, xl, rows);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < d; c++) assertEquals(want[(r * nl + l) * d + c], got[r * d + c], 1e-5f, kind + " layer " + l);
            }
        }
    }

    @Test
    void partialLayerSetsAreRefusedByTheCircuitTracerLayout() {
        TranscoderWeights w = TranscoderGradientTest.weights("transcoder", "topk", new int[] {2}, 3);
        var e = assertThrows(IllegalArgumentException.class, w::toTranscoders);
        assertTrue(e.getMessage().contains("every layer"), e.getMessage());
    }

    /** A Gemma Scope params.npz as numpy.savez_compressed writes it: W_enc [d_model, d_tc] input-major; threshold; f8 b_dec. */
    @Test
    void readsAGemmaScopeNpzTranscoder() throws Exception {
        int d = 3, n = 4;
        float[] wEnc = new float[d * n]; // [d_model, d_tc]
        for (int i = 0; i < wEnc.length; i++) wEnc[i] = (i % 5) * 0.25f - 0.5f;
        float[] wDec = new float[n * d];
        for (int i = 0; i < wDec.length; i++) wDec[i] = 0.1f * (i + 1);
        float[] bEnc = {0.1f, -0.2f, 0.3f, 0f}, threshold = {0.05f, 0.5f, 0.2f, 0.01f};
        double[] bDec = {1, -1, 0.5};
        Path npz = dir.resolve("params.npz");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(npz))) {
            entry(zip, "W_enc", npy("<f4", floats(wEnc), d, n));
            entry(zip, "W_dec", npy("<f4", floats(wDec), n, d));
            entry(zip, "b_enc", npy("<f4", floats(bEnc), n));
            entry(zip, "b_dec", npy("<f8", doubles(bDec), d));
            entry(zip, "threshold", npy("<f4", floats(threshold), n));
        }
        Transcoder t = GemmaScopeNpz.read(npz, 7);
        assertEquals(7, t.layer());
        assertEquals(d, t.dModel());
        assertEquals(n, t.width());
        assertEquals("jumprelu", t.activation().name());
        float[] x = {0.3f, -1.2f, 2f};
        float[] pre = t.preActivations(x, 1);
        for (int j = 0; j < n; j++) {
            float want = bEnc[j];
            for (int i = 0; i < d; i++) want += x[i] * wEnc[i * n + j]; // x · W_enc[:, j]
            assertEquals(want, pre[j], 1e-6f, "pre-activation " + j);
        }
        float[] f = t.encode(x, 1).dense();
        for (int j = 0; j < n; j++) assertEquals(pre[j] > threshold[j] ? pre[j] : 0f, f[j], 0f, "JumpReLU feature " + j);
        assertArrayEquals(new float[] {1, -1, 0.5f}, t.bDec());
        assertArrayEquals(wDec, t.wDec());
        var e = assertThrows(IllegalArgumentException.class, () -> {
            try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(dir.resolve("bad.npz")))) {
                entry(zip, "W_enc", npy("<f4", floats(wEnc), d, n));
            }
            GemmaScopeNpz.read(dir.resolve("bad.npz"), 0);
        });
        assertTrue(e.getMessage().contains("W_dec") && e.getMessage().contains("bad.npz"), e.getMessage());
    }

    @Test
    void saeLensTranscodersRoundTripAndReadNestedConfigs() throws Exception {
        TranscoderWeights w = TranscoderGradientTest.weights("skip_transcoder", "standard", new int[] {0, 1}, 5);
        Transcoder skip = ((TranscoderSet) w.toTranscoders()).layer(1);
        SaeLensTranscoder.write(skip, TranscoderHooks.MLP, "m", dir.resolve("skip"));
        Transcoder back = SaeLensTranscoder.read(dir.resolve("skip"));
        assertEquals(1, back.layer());
        assertArrayEquals(skip.wEnc(), back.wEnc());
        assertArrayEquals(skip.wDec(), back.wDec());
        assertArrayEquals(skip.bDec(), back.bDec());
        assertArrayEquals(skip.wSkip(), back.wSkip());
        String cfg = Files.readString(dir.resolve("skip/cfg.json"));
        assertTrue(cfg.contains("\"architecture\" : \"skip_transcoder\"") && cfg.contains("\"d_out\" : 6"), cfg);

        TranscoderWeights j = TranscoderGradientTest.weights("transcoder", "jumprelu", new int[] {0, 1, 2, 3}, 6);
        Transcoder jump = ((TranscoderSet) j.toTranscoders()).layer(3);
        SaeLensTranscoder.write(jump, TranscoderHooks.MLP, "m", dir.resolve("jump"));
        Files.writeString(dir.resolve("jump/cfg.json"), """
            {"architecture": "jumprelu_transcoder", "d_in": 6, "d_sae": 10, "d_out": 6, "dtype": "float32", "apply_b_dec_to_input": false,
             "metadata": {"hook_name": "blocks.3.ln2.hook_normalized", "model_name": "m"}}""");
        Transcoder jb = SaeLensTranscoder.read(dir.resolve("jump"));
        assertEquals(3, jb.layer());
        assertArrayEquals(jump.threshold(), jb.threshold());
        assertArrayEquals(jump.wEnc(), jb.wEnc());
    }

    private static void entry(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        zip.putNextEntry(new ZipEntry(name + ".npy"));
        zip.write(bytes);
        zip.closeEntry();
    }

    private static byte[] floats(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    private static byte[] doubles(double[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double f : v) b.putDouble(f);
        return b.array();
    }

    /** A version 1.0 .npy: magic, header dict padded to 64 bytes, data. */
    private static byte[] npy(String descr, byte[] data, int... shape) throws IOException {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) s.append(i > 0 ? ", " : "").append(shape[i]);
        s.append(shape.length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + s + ", }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), 0});
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        out.write(data);
        return out.toByteArray();
    }
}
