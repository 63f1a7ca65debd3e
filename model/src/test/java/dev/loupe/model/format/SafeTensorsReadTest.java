package dev.loupe.model.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.model.SharedModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Reads the real checkpoints and reference activations of {@code ../shared/models}. */
class SafeTensorsReadTest {
    @Test
    void readsLlamaCheckpointNamesDtypesAndShapes() throws Exception {
        try (WeightStore w = SafeTensors.open(SharedModels.path("stories260K-hf/model.safetensors"))) {
            assertEquals(2 + 5 * 9, w.names().size());
            assertEquals(new TensorInfo("model.embed_tokens.weight", DType.F32, new int[] {512, 64}), w.info("model.embed_tokens.weight"));
            assertArrayEquals(new int[] {32, 64}, w.info("model.layers.4.self_attn.k_proj.weight").shape());
            assertArrayEquals(new int[] {64, 172}, w.info("model.layers.0.mlp.down_proj.weight").shape());
            assertEquals("pt", w.metadata().get("format"));
            Tensor norm = w.tensor("model.norm.weight");
            assertArrayEquals(new int[] {64}, norm.shape());
        }
    }

    @Test
    void tensorValuesMatchTheRawBytesAtTheHeaderOffsets() throws Exception {
        Path file = SharedModels.path("stories260K-hf/model.safetensors");
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = raw.getLong(0);
        // model.norm.weight sits at data_offsets [131072, 131328] in this file's header.
        assertTrue(new String(raw.array(), 8, (int) headerLen).contains("\"model.norm.weight\":{\"dtype\":\"F32\",\"shape\":[64],\"data_offsets\":[131072,131328]}"));
        try (WeightStore w = SafeTensors.open(file)) {
            float[] norm = w.tensor("model.norm.weight").data();
            for (int i = 0; i < 64; i++) assertEquals(raw.getFloat((int) (8 + headerLen + 131072 + 4 * i)), norm[i]);
        }
    }

    @Test
    void readsGpt2AndPythiaCheckpoints() throws Exception {
        try (WeightStore w = SafeTensors.open(SharedModels.path("gpt2-tiny-random/model.safetensors"))) {
            assertArrayEquals(new int[] {50257, 64}, w.info("transformer.wte.weight").shape());
            assertArrayEquals(new int[] {64, 192}, w.info("transformer.h.0.attn.c_attn.weight").shape());
            assertEquals(50257 * 64, w.tensor("transformer.wte.weight").numel());
        }
        try (WeightStore w = SafeTensors.open(SharedModels.path("pythia-tiny-random/model.safetensors"))) {
            assertArrayEquals(new int[] {192, 64}, w.info("gpt_neox.layers.1.attention.query_key_value.weight").shape());
            assertArrayEquals(new int[] {1000, 64}, w.info("embed_out.weight").shape());
        }
    }

    @Test
    void readsReferenceActivationsWithInt64InputIds() throws Exception {
        for (String model : new String[] {"stories260K-hf", "gpt2-tiny-random", "pythia-tiny-random"}) {
            try (WeightStore w = SafeTensors.open(SharedModels.path(model + "/reference.torch.safetensors"))) {
                TensorInfo ids = w.info("case0.input_ids");
                assertEquals(DType.I64, ids.dtype(), model);
                assertEquals(2, ids.shape().length, model);
                int pos = ids.shape()[1];
                long[] values = w.longs("case0.input_ids");
                assertEquals(pos, values.length);
                for (long v : values) assertTrue(v >= 0 && v < 50257, model + ": token id " + v);
                assertEquals(DType.F32, w.info("case0.logits").dtype());
                assertEquals(pos, w.info("case0.logits").shape()[1]);
                assertArrayEquals(new int[] {1}, w.info("case0.loss").shape());
                // The reference file packs tensors at offsets that are not multiples of 4: unaligned reads must work.
                Tensor resid = w.tensor("case0.blocks.0.hook_resid_pre");
                assertEquals(3, resid.rank());
                assertTrue(Float.isFinite(resid.data()[resid.numel() - 1]));
                assertTrue(w.metadata().containsKey("semantics"), model);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.longs("case0.logits"));
                assertTrue(e.getMessage().contains("'case0.logits' is F32"), e.getMessage());
            }
        }
    }

    @Test
    void missingTensorNamesTheNearestExistingOnes() throws Exception {
        try (WeightStore w = SafeTensors.open(SharedModels.path("stories260K-hf/model.safetensors"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.tensor("model.layers.0.self_attn.q_prj.weight"));
            assertTrue(e.getMessage().contains("model.safetensors: no tensor 'model.layers.0.self_attn.q_prj.weight'; nearest names: 'model.layers.0.self_attn.q_proj.weight'"),
                    e.getMessage());
        }
    }
}
