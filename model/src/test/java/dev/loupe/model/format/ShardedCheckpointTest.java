package dev.loupe.model.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sharded checkpoints: two shards plus {@code model.safetensors.index.json}. */
class ShardedCheckpointTest {
    @TempDir
    Path dir;

    private void writeTwoShards() throws Exception {
        long a = new SafeTensorsWriter().add("embed", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2))
                .add("layer.0", DType.BF16, Tensor.of(new float[] {5, 6}, 2)).write(dir.resolve("model-00001-of-00002.safetensors"));
        long b = new SafeTensorsWriter().add("layer.1", Tensor.of(new float[] {7, 8}, 2))
                .addLongs("ids", DType.I64, new long[] {9}, 1).write(dir.resolve("model-00002-of-00002.safetensors"));
        Map<String, String> weightMap = new LinkedHashMap<>();
        weightMap.put("embed", "model-00001-of-00002.safetensors");
        weightMap.put("layer.0", "model-00001-of-00002.safetensors");
        weightMap.put("layer.1", "model-00002-of-00002.safetensors");
        weightMap.put("ids", "model-00002-of-00002.safetensors");
        SafeTensorsIndex.write(dir.resolve(SafeTensors.INDEX_FILE), weightMap, Map.of("total_size", Long.toString(a + b)));
    }

    @Test
    void indexRoundTripGivesOneStoreOverAllShards() throws Exception {
        writeTwoShards();
        SafeTensorsIndex index = SafeTensorsIndex.read(dir.resolve(SafeTensors.INDEX_FILE));
        assertEquals(List.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"), index.shards());
        try (WeightStore w = WeightStores.openFolder(dir)) {
            assertEquals(List.of("embed", "layer.0", "layer.1", "ids"), List.copyOf(w.names()));
            assertArrayEquals(new float[] {1, 2, 3, 4}, w.tensor("embed").data());
            assertArrayEquals(new int[] {2, 2}, w.info("embed").shape());
            assertEquals(DType.BF16, w.info("layer.0").dtype());
            assertArrayEquals(new float[] {5, 6}, w.tensor("layer.0").data());
            assertArrayEquals(new float[] {7, 8}, w.tensor("layer.1").data());
            assertArrayEquals(new long[] {9}, w.longs("ids"));
            assertTrue(w.metadata().containsKey("total_size"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.tensor("layer.2"));
            assertTrue(e.getMessage().contains("no tensor 'layer.2'; nearest names: 'layer.0', 'layer.1'"), e.getMessage());
        }
    }

    @Test
    void singleFileIsPreferredOverTheIndex() throws Exception {
        writeTwoShards();
        new SafeTensorsWriter().add("only", Tensor.scalar(1)).write(dir.resolve(SafeTensors.SINGLE_FILE));
        try (WeightStore w = WeightStores.openFolder(dir)) {
            assertEquals(List.of("only"), List.copyOf(w.names()));
        }
    }

    @Test
    void missingShardIsNamed() throws Exception {
        writeTwoShards();
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        FormatException e = assertThrows(FormatException.class, () -> WeightStores.openFolder(dir));
        assertTrue(e.getMessage().contains("shard 'model-00002-of-00002.safetensors' is missing"), e.getMessage());
    }

    @Test
    void indexListingATensorItsShardLacksIsRefused() throws Exception {
        writeTwoShards();
        SafeTensorsIndex.write(dir.resolve(SafeTensors.INDEX_FILE), Map.of("ghost", "model-00001-of-00002.safetensors"), Map.of());
        FormatException e = assertThrows(FormatException.class, () -> WeightStores.openFolder(dir));
        assertTrue(e.getMessage().contains("weight_map puts 'ghost' in shard 'model-00001-of-00002.safetensors', which has no such tensor"),
                e.getMessage());
    }

    @Test
    void shardPathsMustStayInTheFolder() throws Exception {
        Files.writeString(dir.resolve(SafeTensors.INDEX_FILE), "{\"weight_map\": {\"w\": \"../evil.safetensors\"}}");
        FormatException e = assertThrows(FormatException.class, () -> WeightStores.openFolder(dir));
        assertTrue(e.getMessage().contains("names shard \"../evil.safetensors\", which is not a file name beside the index"), e.getMessage());
    }

    @Test
    void folderWithoutWeightsSaysWhatItFound() throws Exception {
        Files.writeString(dir.resolve("pytorch_model.bin"), "x");
        FormatException e = assertThrows(FormatException.class, () -> WeightStores.openFolder(dir));
        assertTrue(e.getMessage().contains("no model.safetensors or model.safetensors.index.json (found: pytorch_model.bin); "
                + "PyTorch pickle checkpoints are not supported"), e.getMessage());
    }
}
