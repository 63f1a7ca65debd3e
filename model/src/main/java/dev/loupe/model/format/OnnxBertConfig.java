package dev.loupe.model.format;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The Hugging Face {@code BertModel} config of a BERT-family ONNX export, which carries none, derived
 * from the graph: sizes from the tensor shapes, the head count from how the layer-0 query projection
 * is reshaped to [batch, pos, heads, d_head], the LayerNorm epsilon from a LayerNormalization node or
 * the constant added before the square root of a decomposed one (left to the BERT default 1e-12 if
 * neither is found), and exact GELU from the presence of an Erf node.
 */
final class OnnxBertConfig {
    private static final String WORDS = "embeddings.word_embeddings.weight";

    private OnnxBertConfig() {}

    static HfConfig derive(OnnxGraph g, WeightStore w) throws FormatException {
        String p = w.contains("bert." + WORDS) ? "bert." : "";
        if (!w.contains(p + WORDS)) {
            throw new FormatException(g.label() + ": no initializer '" + WORDS + "'; Loupe reads ONNX exports of BERT-family "
                    + "models that keep PyTorch's parameter names (found: " + w.names().stream().limit(5).collect(Collectors.joining(", "))
                    + (w.names().size() > 5 ? ", ..." : "") + ")");
        }
        int d = w.info(p + WORDS).shape()[1];
        int layers = 0;
        while (w.contains(p + "encoder.layer." + layers + ".output.LayerNorm.weight")) layers++;
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.putArray("architectures").add("BertModel");
        json.put("model_type", "bert");
        json.put("vocab_size", w.info(p + WORDS).shape()[0]);
        json.put("hidden_size", d);
        json.put("num_hidden_layers", layers);
        json.put("num_attention_heads", heads(g, p, d));
        json.put("intermediate_size", w.info(p + "encoder.layer.0.intermediate.dense.weight").shape()[0]);
        json.put("max_position_embeddings", w.info(p + "embeddings.position_embeddings.weight").shape()[0]);
        json.put("type_vocab_size", w.info(p + "embeddings.token_type_embeddings.weight").shape()[0]);
        json.put("hidden_act", activation(g));
        json.put("position_embedding_type", "absolute");
        Float eps = epsilon(g);
        if (eps != null) json.put("layer_norm_eps", eps.doubleValue());
        return new HfConfig(json, g.label() + " (config derived from the ONNX graph)");
    }

    /** The head count: the third entry of the shape the layer-0 query projection (after its bias) is reshaped to. */
    private static int heads(OnnxGraph g, String prefix, int d) throws FormatException {
        String bias = prefix + "encoder.layer.0.attention.self.query.bias";
        for (OnnxGraph.Node add : g.consumers(bias)) {
            for (OnnxGraph.Node reshape : g.consumers(add.outputs().get(0))) {
                if (!reshape.op().equals("Reshape")) continue;
                long[] s = shapeValues(g, reshape.inputs().get(1));
                if (s != null && s.length == 4 && s[2] > 0 && s[3] > 0 && s[2] * s[3] == d) return (int) s[2];
            }
        }
        throw new FormatException(g.label() + ": cannot tell the number of attention heads: no Reshape of the layer-0 query "
                + "projection ('" + bias + "' added) to [batch, pos, heads, d_head] with constant heads and d_head");
    }

    /** A shape operand's values: a constant, or a Concat whose non-constant parts (one entry each) read as -1; else null. */
    private static long[] shapeValues(OnnxGraph g, String value) {
        long[] constant = g.constantLongs(value);
        if (constant != null) return constant;
        OnnxGraph.Node concat = g.producer(value);
        if (concat == null || !concat.op().equals("Concat")) return null;
        List<Long> out = new ArrayList<>();
        for (String part : concat.inputs()) {
            long[] c = g.constantLongs(part);
            if (c == null) out.add(-1L);
            else for (long v : c) out.add(v);
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static Float epsilon(OnnxGraph g) {
        for (OnnxGraph.Node n : g.nodes()) {
            if (n.op().equals("LayerNormalization")) {
                OnnxGraph.Attribute eps = n.attributes().get("epsilon");
                return eps == null ? 1e-5f : eps.f(); // the ONNX operator's default
            }
            if (n.op().equals("Sqrt")) {
                OnnxGraph.Node add = g.producer(n.inputs().get(0));
                if (add == null || !add.op().equals("Add")) continue;
                boolean afterMean = add.inputs().stream().anyMatch(in -> g.producer(in) != null && g.producer(in).op().equals("ReduceMean"));
                for (String in : add.inputs()) {
                    Float c = g.constantFloat(in);
                    if (afterMean && c != null) return c;
                }
            }
        }
        return null;
    }

    private static String activation(OnnxGraph g) throws FormatException {
        if (g.nodes().stream().anyMatch(n -> n.op().equals("Erf"))) return "gelu";
        throw new FormatException(g.label() + ": no Erf node in the graph; Loupe recognises BERT ONNX exports with exact (erf) GELU only");
    }
}
