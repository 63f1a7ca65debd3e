package dev.loupe.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.PackedMatrix;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.model.format.WeightStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A 16-bit checkpoint computes exactly f32 arithmetic on its 16-bit values: a shared test model rounded to
 * BF16 (or F16), loaded kept 16-bit, gives every activation and every gradient of the float32 model holding
 * the same values upcast (worst error printed; within 1e-5, in fact bit-equal) — Llama, GPT-2 (Conv1D weights
 * stored transposed) and GPT-NeoX (per-head fused qkv) loaders alike. Its matrices stay 16-bit in memory;
 * {@code --dtype f32} widens them and computes the same values.
 */
class SixteenBitWeightsTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"stories260K-hf, BF16", "gpt2-tiny-random, BF16", "pythia-tiny-random, BF16", "stories260K-hf, F16"})
    void activationsAndGradientsAreFloat32ArithmeticOnThe16BitValues(String name, DType dtype) throws Exception {
        Path half = convert(SharedModels.path(name), tmp.resolve("half"), dtype);
        Path upcast = convert(half, tmp.resolve("upcast"), DType.F32);
        HookedTransformer kept = ModelLoader.load(half.toString(), null, WeightDtype.STORED).transformer();
        HookedTransformer widened = ModelLoader.load(half.toString(), null, WeightDtype.F32).transformer();
        HookedTransformer f32 = ModelLoader.load(upcast.toString(), null, WeightDtype.STORED).transformer();

        long halfBytes = 0, f32Bytes = 0;
        for (var e : kept.weights().parameters().entrySet()) {
            Tensor t = e.getValue();
            if (t.rank() == 2 && !t.hasData()) halfBytes += t.residentBytes();
        }
        for (Tensor t : widened.weights().parameters().values()) if (t.rank() == 2 && !t.hasData()) f32Bytes += t.residentBytes();
        assertTrue(halfBytes > 0 && f32Bytes == 2 * halfBytes, "16-bit matrices " + halfBytes + " bytes, widened " + f32Bytes);

        int vocab = kept.config().dVocab();
        int[][] tokens = {{1, 45 % vocab, 300 % vocab, 7, 99 % vocab, 12, 250 % vocab, 3, 17, 2}};
        double worst = 0;
        String worstAt = "";
        for (HookedTransformer other : List.of(f32, widened)) {
            GradientRun want = GradientRun.ofLoss(other, tokens, List.of("*"));
            GradientRun got = GradientRun.ofLoss(kept, tokens, List.of("*"));
            assertEquals(want.activations().names(), got.activations().names());
            for (String hook : want.activations().names()) {
                double e = maxAbs(want.activations().get(hook), got.activations().get(hook));
                if (!(e <= worst)) { // NaN counts as worst
                    worst = e;
                    worstAt = hook;
                }
            }
            for (Map.Entry<String, Tensor> g : want.gradients().entrySet()) {
                double e = maxAbs(g.getValue(), got.gradients().get(g.getKey()));
                if (!(e <= worst)) { // NaN counts as worst
                    worst = e;
                    worstAt = "grad." + g.getKey();
                }
            }
            assertArrayEquals(want.logits().data(), got.logits().data(), "logits bit-equal");
        }
        System.out.printf("%s %s: worst abs error vs f32 on the upcast values %.2e (%s)%n", name, dtype, worst, worstAt);
        assertTrue(worst <= 1e-5, name + " " + dtype + ": " + worstAt + " off by " + worst);

        var w = kept.weights();
        for (Tensor t : List.of(w.embed().tokens(), w.unembed().weight(), w.blocks().get(0).attn().qkv().weight(),
                w.blocks().get(0).mlp().out().weight())) {
            assertTrue(!t.hasData(), "after forward and backward passes, still only the packed copy of " + t);
        }
    }

    /**
     * qwen3-tiny-random-bf16, held BF16: every activation and every gradient equals the reference (PyTorch in
     * float32 on the upcast BF16 weights) within 1e-5 relative (max abs error / max abs value), worst printed.
     */
    @Test
    void qwen3Bf16MatchesFloat32ArithmeticOnItsBf16Values() throws Exception {
        Path dir = SharedModels.path("qwen3-tiny-random-bf16");
        HookedTransformer model = ModelLoader.load(dir.toString(), null, WeightDtype.STORED).transformer();
        assertEquals(PackedMatrix.Precision.BF16, model.weights().blocks().get(0).mlp().out().weight().packedTranspose().precision());
        double worst = 0;
        String worstAt = "";
        int compared = 0;
        try (WeightStore ref = SafeTensors.open(dir.resolve("reference.torch.safetensors"))) {
            for (int c = 0; ref.contains("case" + c + ".input_ids"); c++) {
                int[][] tokens = {Arrays.stream(ref.longs("case" + c + ".input_ids")).mapToInt(Math::toIntExact).toArray()};
                GradientRun run = GradientRun.ofLoss(model, tokens, List.of("*"));
                String prefix = "case" + c + ".";
                for (String key : ref.names()) {
                    if (!key.startsWith(prefix) || key.endsWith("input_ids")) continue;
                    String hook = key.substring(prefix.length());
                    Tensor actual = hook.equals("loss") ? run.value() : hook.equals("logits") ? run.logits()
                            : hook.startsWith("grad.") ? run.gradients().get(hook.substring(5)) : run.activations().get(hook);
                    assertTrue(actual != null, "nothing computed for " + key);
                    double e = ReferenceParityTest.relativeError(ref.tensor(key), actual, key);
                    if (!(e <= worst)) {
                        worst = e;
                        worstAt = key;
                    }
                    compared++;
                }
            }
        }
        System.out.printf("qwen3-tiny-random-bf16 held BF16: %d tensors, worst relative error %.2e (%s)%n", compared, worst, worstAt);
        assertTrue(compared > 50, "compared only " + compared);
        assertTrue(worst <= 1e-5, worstAt + " off by " + worst);
    }

    /** {@code src}'s checkpoint with every floating tensor stored as {@code dtype} (round to nearest even), config copied. */
    static Path convert(Path src, Path dst, DType dtype) throws Exception {
        Files.createDirectories(dst);
        SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", "pt");
        try (WeightStore in = SafeTensors.open(src.resolve("model.safetensors"))) {
            for (String n : in.names()) w.add(n, dtype, in.tensor(n));
            w.write(dst.resolve("model.safetensors"));
        }
        Files.copy(src.resolve("config.json"), dst.resolve("config.json"));
        return dst;
    }

    private static double maxAbs(Tensor a, Tensor b) {
        assertArrayEquals(a.shape(), b.shape());
        float[] x = a.data(), y = b.data();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            if (Float.compare(x[i], y[i]) != 0) m = Math.max(m, Math.abs((double) x[i] - y[i])); // NaN if only one is NaN
        }
        return m;
    }
}
