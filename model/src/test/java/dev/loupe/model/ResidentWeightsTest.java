package dev.loupe.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.SafeTensorsWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A BF16 model holds one resident copy of its weights: a Llama-shaped checkpoint of ~150 MB, generated here,
 * loads into at most 1.15 × its bytes of heap (measured after a collection) and of resident memory
 * (VmRSS of this process), where the former loader took 4 × (widened to f32, then a packed copy).
 */
class ResidentWeightsTest {
    private static final int D = 1024, LAYERS = 4, HEADS = 16, KV_HEADS = 4, MLP = 2816, VOCAB = 32000;

    @TempDir
    Path tmp;

    @Test
    void aBf16ModelHoldsOneCopyOfItsWeights() throws Exception {
        long fileBytes = writeModel(tmp);
        long heap0 = heapAfterGc(), rss0 = rssBytes();
        LoadedModel m = ModelLoader.load(tmp.toString(), null, WeightDtype.STORED);
        m.transformer().forward(new int[][] {{1, 2, 3}}); // a forward must not add a copy either
        long heap = heapAfterGc() - heap0, rss = rssBytes() - rss0;
        long resident = 0;
        for (Tensor t : m.transformer().weights().parameters().values()) resident += t.residentBytes();
        System.out.printf("BF16 checkpoint %.1f MB: weights hold %.1f MB; heap +%.1f MB after GC; VmRSS +%.1f MB%n",
                fileBytes / 1e6, resident / 1e6, heap / 1e6, rss / 1e6);
        assertTrue(resident <= 1.05 * fileBytes, "weights hold " + resident + " bytes for a " + fileBytes + "-byte checkpoint");
        assertTrue(heap <= 1.15 * fileBytes, "heap grew by " + heap + " bytes for a " + fileBytes + "-byte checkpoint");
        assertTrue(rss <= 1.15 * fileBytes, "resident memory grew by " + rss + " bytes for a " + fileBytes + "-byte checkpoint");
        assertTrue(m.transformer() != null); // keep the model reachable until measured
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long rssBytes() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
        throw new AssertionError("no VmRSS in /proc/self/status");
    }

    /** A random Llama-shaped BF16 checkpoint (tied embeddings); returns the safetensors file's size. */
    private static long writeModel(Path dir) throws Exception {
        SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", "pt");
        int dh = D / HEADS;
        random(w, "model.embed_tokens.weight", VOCAB, D);
        for (int l = 0; l < LAYERS; l++) {
            String b = "model.layers." + l + ".";
            ones(w, b + "input_layernorm.weight");
            ones(w, b + "post_attention_layernorm.weight");
            random(w, b + "self_attn.q_proj.weight", HEADS * dh, D);
            random(w, b + "self_attn.k_proj.weight", KV_HEADS * dh, D);
            random(w, b + "self_attn.v_proj.weight", KV_HEADS * dh, D);
            random(w, b + "self_attn.o_proj.weight", D, HEADS * dh);
            random(w, b + "mlp.gate_proj.weight", MLP, D);
            random(w, b + "mlp.up_proj.weight", MLP, D);
            random(w, b + "mlp.down_proj.weight", D, MLP);
        }
        ones(w, "model.norm.weight");
        long bytes = w.write(dir.resolve("model.safetensors"));
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("hidden_size", D).put("num_hidden_layers", LAYERS).put("num_attention_heads", HEADS)
                .put("num_key_value_heads", KV_HEADS).put("intermediate_size", MLP).put("vocab_size", VOCAB)
                .put("max_position_embeddings", 2048).put("tie_word_embeddings", true).put("torch_dtype", "bfloat16");
        Files.writeString(dir.resolve("config.json"), c.toString());
        return bytes;
    }

    private static void random(SafeTensorsWriter w, String name, int... shape) {
        w.add(name, DType.BF16, shape, () -> {
            SplittableRandom r = new SplittableRandom(name.hashCode());
            Tensor t = Tensor.zeros(shape);
            float[] v = t.data();
            for (int i = 0; i < v.length; i++) v[i] = (float) (0.02 * r.nextGaussian());
            return t;
        });
    }

    private static void ones(SafeTensorsWriter w, String name) {
        Tensor t = Tensor.zeros(D);
        java.util.Arrays.fill(t.data(), 1f);
        w.add(name, DType.BF16, t);
    }
}
