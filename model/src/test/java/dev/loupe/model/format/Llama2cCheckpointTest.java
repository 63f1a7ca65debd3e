package dev.loupe.model.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.model.SharedModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** llama2.c checkpoints, checked against the same model converted to Hugging Face layout. */
class Llama2cCheckpointTest {
    @TempDir
    Path dir;

    @Test
    void configMatchesTheHfConversion() throws Exception {
        try (Checkpoint c = Llama2cCheckpoint.load(SharedModels.path("stories260K/stories260K.bin"))) {
            HfConfig hf = HfConfig.read(SharedModels.path("stories260K-hf/config.json"));
            for (String f : List.of("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                    "num_key_value_heads", "vocab_size", "max_position_embeddings")) {
                assertEquals(hf.requireInt(f), c.config().requireInt(f), f);
            }
            assertEquals("LlamaForCausalLM", c.config().architecture());
            assertEquals(hf.requireDouble("rms_norm_eps"), c.config().requireDouble("rms_norm_eps"));
            assertEquals(hf.requireDouble("rope_theta"), c.config().requireDouble("rope_theta"));
            assertTrue(c.config().requireBoolean("tie_word_embeddings"));
            assertEquals("interleaved", c.config().requireString("loupe_rope_layout"));
            assertEquals("llama2.c", c.weights().metadata().get("format"));
        }
    }

    @Test
    void weightsEqualTheHfConversionWithQkRowsPermutedForRotateHalf() throws Exception {
        try (Checkpoint c = Llama2cCheckpoint.load(SharedModels.path("stories260K/stories260K.bin"));
             WeightStore hf = SafeTensors.open(SharedModels.path("stories260K-hf/model.safetensors"))) {
            assertEquals(hf.names().stream().sorted().toList(), c.weights().names().stream().sorted().toList());
            int nHeads = 8, nKvHeads = 4;
            for (String name : hf.names()) {
                Tensor mine = c.weights().tensor(name);
                Tensor theirs = hf.tensor(name);
                assertArrayEquals(theirs.shape(), mine.shape(), name);
                if (name.endsWith("q_proj.weight")) {
                    assertArrayEquals(theirs.data(), permuteForRotateHalf(mine, nHeads).data(), name);
                    assertFalse(Arrays.equals(theirs.data(), mine.data()), name + " must differ before permuting");
                } else if (name.endsWith("k_proj.weight")) {
                    assertArrayEquals(theirs.data(), permuteForRotateHalf(mine, nKvHeads).data(), name);
                } else {
                    assertArrayEquals(theirs.data(), mine.data(), name);
                }
            }
        }
    }

    /**
     * Hugging Face's Llama converter: {@code w.view(heads, d_head/2, 2, in).transpose(1, 2).reshape(out, in)},
     * i.e. within each head, row {@code 2i + j} moves to row {@code j * d_head/2 + i}.
     */
    private static Tensor permuteForRotateHalf(Tensor w, int heads) {
        int rows = w.size(0), cols = w.size(1), dHead = rows / heads, half = dHead / 2;
        float[] out = new float[rows * cols];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(w.data(), (h * dHead + 2 * i + j) * cols, out, (h * dHead + j * half + i) * cols, cols);
                }
            }
        }
        return Tensor.of(out, rows, cols);
    }

    /** A synthetic v0 file whose float k holds the value k, so each tensor's offset can be read off its first value. */
    private Path syntheticV0(int[] header, int floats) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(28 + 4 * floats).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : header) b.putInt(v);
        for (int k = 0; k < floats; k++) b.putFloat(k);
        Path p = dir.resolve("tiny.bin");
        Files.write(p, b.array());
        return p;
    }

    @Test
    void untiedV0LayoutPlacesEveryTensorWhereRunCReadsIt() throws Exception {
        // dim 4, hidden 6, 2 layers, 2 heads (head size 2), 1 kv head (kv_dim 2), vocab 5 untied, seq_len 3
        int dim = 4, hid = 6, layers = 2, vocab = 5, kvDim = 2, seq = 3, half = 1;
        int total = vocab * dim + layers * (dim + dim * dim + 2 * kvDim * dim + dim * dim + dim + 3 * hid * dim) + dim
                + 2 * seq * half + vocab * dim;
        try (Checkpoint c = Llama2cCheckpoint.load(syntheticV0(new int[] {dim, hid, layers, 2, 1, -vocab, seq}, total))) {
            WeightStore w = c.weights();
            assertFalse(c.config().requireBoolean("tie_word_embeddings"));
            int at = 0;
            at = expect(w, "model.embed_tokens.weight", at, vocab * dim);
            at = expect(w, "model.layers.0.input_layernorm.weight", at, dim);
            at = expect(w, "model.layers.1.input_layernorm.weight", at, dim);
            at = expect(w, "model.layers.0.self_attn.q_proj.weight", at, dim * dim);
            at = expect(w, "model.layers.1.self_attn.q_proj.weight", at, dim * dim);
            at = expect(w, "model.layers.0.self_attn.k_proj.weight", at, kvDim * dim);
            at = expect(w, "model.layers.1.self_attn.k_proj.weight", at, kvDim * dim);
            at = expect(w, "model.layers.0.self_attn.v_proj.weight", at, kvDim * dim);
            at = expect(w, "model.layers.1.self_attn.v_proj.weight", at, kvDim * dim);
            at = expect(w, "model.layers.0.self_attn.o_proj.weight", at, dim * dim);
            at = expect(w, "model.layers.1.self_attn.o_proj.weight", at, dim * dim);
            at = expect(w, "model.layers.0.post_attention_layernorm.weight", at, dim);
            at = expect(w, "model.layers.1.post_attention_layernorm.weight", at, dim);
            at = expect(w, "model.layers.0.mlp.gate_proj.weight", at, hid * dim);
            at = expect(w, "model.layers.1.mlp.gate_proj.weight", at, hid * dim);
            at = expect(w, "model.layers.0.mlp.down_proj.weight", at, dim * hid);
            at = expect(w, "model.layers.1.mlp.down_proj.weight", at, dim * hid);
            at = expect(w, "model.layers.0.mlp.up_proj.weight", at, hid * dim);
            at = expect(w, "model.layers.1.mlp.up_proj.weight", at, hid * dim);
            at = expect(w, "model.norm.weight", at, dim);
            at += 2 * seq * half;
            at = expect(w, "lm_head.weight", at, vocab * dim);
            assertEquals(total, at);
            assertArrayEquals(new int[] {dim, hid}, w.info("model.layers.1.mlp.down_proj.weight").shape());
            assertArrayEquals(new int[] {kvDim, dim}, w.info("model.layers.1.self_attn.v_proj.weight").shape());
        }
    }

    private static int expect(WeightStore w, String name, int at, int numel) {
        float[] d = w.tensor(name).data();
        assertEquals(numel, d.length, name);
        assertEquals(at, d[0], name);
        assertEquals(at + numel - 1, d[numel - 1], name);
        return at + numel;
    }

    @Test
    void versionOneFilesReadLikeTheirV0Twin() throws Exception {
        Path v0 = SharedModels.path("stories260K/stories260K.bin");
        Path v1 = dir.resolve("stories260K-v1.bin");
        try (Checkpoint c = Llama2cCheckpoint.load(v0)) {
            WeightStore w = c.weights();
            ByteBuffer b = ByteBuffer.allocate(256 + 4 * (int) w.names().stream().mapToLong(n -> w.info(n).numel()).sum())
                    .order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(0x616b3432).putInt(1);
            for (int v : new int[] {64, 172, 5, 8, 4, 512, 512}) b.putInt(v);
            b.put((byte) 1).position(256);
            // export.py version1_export order: norms first, then embedding, then the matrices grouped by kind.
            for (String kind : List.of("input_layernorm", "post_attention_layernorm")) {
                for (int l = 0; l < 5; l++) put(b, w.tensor("model.layers." + l + "." + kind + ".weight"));
            }
            put(b, w.tensor("model.norm.weight"));
            put(b, w.tensor("model.embed_tokens.weight"));
            for (String kind : List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                    "mlp.gate_proj", "mlp.down_proj", "mlp.up_proj")) {
                for (int l = 0; l < 5; l++) put(b, w.tensor("model.layers." + l + "." + kind + ".weight"));
            }
            Files.write(v1, b.array());
            try (Checkpoint c1 = Llama2cCheckpoint.load(v1)) {
                assertEquals("1", c1.weights().metadata().get("llama2c_version"));
                assertEquals(c.config().json(), c1.config().json());
                for (String n : w.names()) assertArrayEquals(w.tensor(n).data(), c1.weights().tensor(n).data(), n);
            }
        }
    }

    private static void put(ByteBuffer b, Tensor t) {
        for (float f : t.data()) b.putFloat(f);
    }

    @Test
    void fileTooShortForTheHeader() throws Exception {
        Path p = dir.resolve("short.bin");
        Files.write(p, new byte[10]);
        FormatException e = assertThrows(FormatException.class, () -> Llama2cCheckpoint.load(p));
        assertEquals(p + ": file is 10 bytes, too short for a llama2.c header (28 bytes)", e.getMessage());
    }

    @Test
    void fileShorterThanTheHeaderImplies() throws Exception {
        // 28 header bytes + 4 * (20 embed + 2 * 128 per layer + 4 norm + 6 freq_cis) = 1172
        Path p = syntheticV0(new int[] {4, 6, 2, 2, 1, 5, 3}, 100);
        FormatException e = assertThrows(FormatException.class, () -> Llama2cCheckpoint.load(p));
        assertTrue(e.getMessage().startsWith(p + ": file is 428 bytes but its llama2.c v0 header (dim 4, hidden_dim 6, 2 layers, vocab 5, "
                + "seq_len 3, shared classifier) implies 1172 (truncated?)"), e.getMessage());
    }

    @Test
    void nonsenseHeadersAndLaterVersionsAreRefused() throws Exception {
        Path p = syntheticV0(new int[] {4, 6, 2, 0, 1, 5, 3}, 0);
        assertTrue(assertThrows(FormatException.class, () -> Llama2cCheckpoint.load(p)).getMessage()
                .contains("llama2.c header has n_heads = 0; not a llama2.c checkpoint?"));
        Path q = syntheticV0(new int[] {4, 6, 2, 3, 1, 5, 3}, 0);
        assertTrue(assertThrows(FormatException.class, () -> Llama2cCheckpoint.load(q)).getMessage()
                .contains("dim 4 and n_heads 3, which give no even head size"));
        Path v2 = dir.resolve("q80.bin");
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN).putInt(0x616b3432).putInt(2);
        Files.write(v2, b.array());
        assertEquals(v2 + ": llama2.c checkpoint version 2 not supported; export with legacy v0 (or v1, float32)",
                assertThrows(FormatException.class, () -> Llama2cCheckpoint.load(v2)).getMessage());
    }
}
