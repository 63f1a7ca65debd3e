package dev.loupe.model.format;

import dev.loupe.model.NearestNames;

import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX file's initializers under PyTorch (Hugging Face) names. PyTorch's exporter keeps the
 * parameter names of biases and norms, but replaces each Linear weight by an anonymous transposed
 * copy (e.g. {@code onnx::MatMul_787}, stored [in, out]) that a MatMul reads. This store names such a
 * weight after its module by following the graph, and serves it as {@code <module>.weight} in
 * PyTorch's [out, in] layout. The module is the one whose bias the MatMul's result is added to
 * ({@code <module>.bias}), else the one the exporter named the MatMul node after
 * ({@code /encoder/layer.0/output/dense/MatMul} → {@code encoder.layer.0.output.dense}). Initializers
 * that cannot be placed keep their ONNX names.
 */
final class OnnxWeightStore implements WeightStore {
    private static final String WEIGHT = ".weight";
    private static final String BIAS = ".bias";

    private final String label;
    private final WeightStore raw;
    private final Map<String, String> onnxNames;
    private final Set<String> transposed;

    private OnnxWeightStore(String label, WeightStore raw, Map<String, String> onnxNames, Set<String> transposed) {
        this.label = label;
        this.raw = raw;
        this.onnxNames = Collections.unmodifiableMap(onnxNames);
        this.transposed = Set.copyOf(transposed);
    }

    /** Names the initializers of {@code graph}, whose tensors {@code raw} holds under their ONNX names. */
    static OnnxWeightStore of(OnnxGraph graph, WeightStore raw) throws FormatException {
        Map<String, String> linearWeights = linearWeightNames(graph);
        Map<String, String> onnxNames = new LinkedHashMap<>();
        for (String onnx : graph.initializers().keySet()) {
            String name = linearWeights.getOrDefault(onnx, onnx);
            String clash = onnxNames.put(name, onnx);
            if (clash != null) {
                throw new FormatException(graph.label() + ": initializers '" + clash + "' and '" + onnx + "' both map to the name '"
                        + name + "'");
            }
        }
        return new OnnxWeightStore(graph.label(), raw, onnxNames, new HashSet<>(linearWeights.values()));
    }

    /** ONNX name → {@code <module>.weight} for each 2-D initializer a MatMul multiplies by, when it is not already so named. */
    private static Map<String, String> linearWeightNames(OnnxGraph g) {
        Map<String, String> names = new HashMap<>();
        for (OnnxGraph.Node n : g.nodes()) {
            if (!n.op().equals("MatMul") || n.inputs().size() != 2 || n.outputs().size() != 1) continue; // a malformed node names nothing
            String w = n.inputs().get(1);
            MappedWeightStore.Slot s = g.initializers().get(w);
            if (s == null || s.info().shape().length != 2 || names.containsKey(w)) continue;
            String module = module(g, n);
            if (module != null && !w.equals(module + WEIGHT) && !g.initializers().containsKey(module + WEIGHT)) {
                names.put(w, module + WEIGHT);
            }
        }
        return names;
    }

    private static String module(OnnxGraph g, OnnxGraph.Node matmul) {
        String product = matmul.outputs().get(0);
        for (OnnxGraph.Node c : g.consumers(product)) {
            if (!c.op().equals("Add")) continue;
            for (String in : c.inputs()) {
                if (!in.equals(product) && in.endsWith(BIAS) && g.initializers().containsKey(in)) {
                    return in.substring(0, in.length() - BIAS.length());
                }
            }
        }
        String node = matmul.name();
        int slash = node.lastIndexOf('/');
        return node.startsWith("/") && slash > 1 ? node.substring(1, slash).replace('/', '.') : null;
    }

    @Override
    public Set<String> names() {
        return onnxNames.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo stored = raw.info(onnxName(name));
        if (!transposed.contains(name)) return stored;
        int[] s = stored.shape();
        return new TensorInfo(name, stored.dtype(), new int[] {s[1], s[0]});
    }

    @Override
    public Tensor tensor(String name) {
        Tensor t = raw.tensor(onnxName(name));
        return transposed.contains(name) ? Ops.transpose(t) : t;
    }

    @Override
    public long[] longs(String name) {
        return raw.longs(onnxName(name));
    }

    @Override
    public Map<String, String> metadata() {
        return raw.metadata();
    }

    @Override
    public void close() {
        raw.close();
    }

    @Override
    public String toString() {
        return "WeightStore[" + label + ", " + onnxNames.size() + " tensors, ONNX]";
    }

    private String onnxName(String name) {
        String onnx = onnxNames.get(name);
        if (onnx == null) {
            throw new IllegalArgumentException(label + ": no tensor '" + name + "'; nearest names: "
                    + NearestNames.describe(name, onnxNames.keySet(), 3));
        }
        return onnx;
    }
}
