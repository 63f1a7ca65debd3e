package dev.loupe.model.format;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Opens the weights of an ONNX export (https://onnx.ai) as a {@link Checkpoint}, for BERT-family
 * encoders such as sentence-transformers' all-MiniLM-L6-v2 as exported by PyTorch: the file is
 * memory-mapped, its initializers get their PyTorch names back ({@link OnnxWeightStore}) and the
 * {@code BertModel} config it lacks is derived from the graph ({@link OnnxBertConfig}). Only the
 * weights are used; Loupe runs its own forward pass, so the graph's operators need not be supported.
 */
public final class OnnxCheckpoint {
    private OnnxCheckpoint() {}

    public static Checkpoint open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "no such ONNX file");
        String label = file.toString();
        MappedWeightStore.Mapping mapping = MappedWeightStore.map(file);
        try {
            OnnxGraph graph = OnnxGraph.parse(label, mapping.segment());
            Map<String, String> metadata = Map.of("format", "onnx", "producer", graph.producer());
            WeightStore weights = OnnxWeightStore.of(graph, mapping.toStore(label, graph.initializers(), metadata));
            return new Checkpoint(OnnxBertConfig.derive(graph, weights), weights, file);
        } catch (IOException | RuntimeException e) {
            mapping.close();
            throw e;
        }
    }
}
