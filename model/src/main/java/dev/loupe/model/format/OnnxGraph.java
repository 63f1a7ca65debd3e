package dev.loupe.model.format;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model (https://onnx.ai, {@code onnx.proto}) that loading weights needs: the
 * graph's initializers, as byte slots in the mapped file, and its nodes, to follow where each
 * initializer flows. Read from the protobuf wire format by hand: ModelProto producer_name (2),
 * producer_version (3), graph (7); GraphProto node (1), initializer (5); NodeProto input (1),
 * output (2), name (3), op_type (4), attribute (5); AttributeProto name (1), f (2), t (5);
 * TensorProto dims (1), data_type (2), float_data (4), name (8), raw_data (9), data_location (14).
 *
 * <p>Tensor payloads must be inside the file, in {@code raw_data} or packed {@code float_data};
 * external data (models over 2 GB) is refused.
 */
final class OnnxGraph {
    /** An operator: its inputs and outputs are value names; attributes by name. */
    record Node(String op, String name, List<String> inputs, List<String> outputs, Map<String, Attribute> attributes) {}

    /** The attribute fields Loupe reads: a float (e.g. an epsilon) or a tensor (a Constant's value). */
    record Attribute(float f, MappedWeightStore.Slot tensor) {}

    private final String label;
    private final MemorySegment file;
    private final Map<String, MappedWeightStore.Slot> initializers = new LinkedHashMap<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Node> producers = new HashMap<>();
    private final Map<String, List<Node>> consumers = new HashMap<>();
    private String producer = "";

    private OnnxGraph(String label, MemorySegment file) {
        this.label = label;
        this.file = file;
    }

    static OnnxGraph parse(String label, MemorySegment file) throws FormatException {
        try {
            return read(label, file);
        } catch (ArithmeticException e) { // a dimension or size past what an int or long holds
            throw new FormatException(label + ": a tensor's dimensions or byte range do not fit in 64 bits (" + e.getMessage() + "); not an ONNX model?", e);
        }
    }

    private static OnnxGraph read(String label, MemorySegment file) throws FormatException {
        OnnxGraph g = new OnnxGraph(label, file);
        Protobuf model = new Protobuf(label, file, 0, file.byteSize());
        boolean sawGraph = false;
        String version = "";
        while (model.hasNext()) {
            switch (model.next()) {
                case 2 -> g.producer = model.string();
                case 3 -> version = model.string();
                case 7 -> {
                    g.readGraph(model.message());
                    sawGraph = true;
                }
                default -> model.skip();
            }
        }
        if (!sawGraph) throw new FormatException(label + ": no graph in the file; not an ONNX model?");
        g.producer = (g.producer + " " + version).strip();
        for (Node n : g.nodes) {
            for (String out : n.outputs()) g.producers.put(out, n);
            for (String in : n.inputs()) g.consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
        return g;
    }

    String label() {
        return label;
    }

    /** The exporter, e.g. "pytorch 2.0.1"; empty if the file does not say. */
    String producer() {
        return producer;
    }

    /** Initializers by name, in file order. */
    Map<String, MappedWeightStore.Slot> initializers() {
        return initializers;
    }

    List<Node> nodes() {
        return nodes;
    }

    /** The node computing {@code value}, or null for graph inputs and initializers. */
    Node producer(String value) {
        return producers.get(value);
    }

    /** The nodes reading {@code value}. */
    List<Node> consumers(String value) {
        return consumers.getOrDefault(value, List.of());
    }

    /** The integer values of {@code value} if it is an integer initializer or Constant output, else null. */
    long[] constantLongs(String value) {
        MappedWeightStore.Slot s = constant(value);
        if (s == null || s.info().dtype().isFloating()) return null;
        return Decode.longs(file, s.offset(), s.info().dtype(), Math.toIntExact(s.info().numel()));
    }

    /** The single float value of {@code value} if it is a one-element float initializer or Constant output, else null. */
    Float constantFloat(String value) {
        MappedWeightStore.Slot s = constant(value);
        if (s == null || !s.info().dtype().isFloating() || s.info().numel() != 1) return null;
        return Decode.floats(file, s.offset(), s.info().dtype(), 1)[0];
    }

    /** The tensor behind {@code value} when it is an initializer or a Constant node's output, else null. */
    private MappedWeightStore.Slot constant(String value) {
        MappedWeightStore.Slot s = initializers.get(value);
        Node p = producers.get(value);
        if (s == null && p != null && p.op().equals("Constant") && p.attributes().containsKey("value")) {
            s = p.attributes().get("value").tensor();
        }
        return s;
    }

    private void readGraph(Protobuf g) throws FormatException {
        while (g.hasNext()) {
            switch (g.next()) {
                case 1 -> nodes.add(readNode(g.message()));
                case 5 -> {
                    MappedWeightStore.Slot s = readTensor(g.message(), "");
                    initializers.put(s.info().name(), s);
                }
                default -> g.skip();
            }
        }
    }

    private Node readNode(Protobuf m) throws FormatException {
        String op = "", name = "";
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        List<Protobuf> attrs = new ArrayList<>();
        while (m.hasNext()) {
            switch (m.next()) {
                case 1 -> in.add(m.string());
                case 2 -> out.add(m.string());
                case 3 -> name = m.string();
                case 4 -> op = m.string();
                case 5 -> attrs.add(m.message());
                default -> m.skip();
            }
        }
        Map<String, Attribute> attributes = new LinkedHashMap<>();
        for (Protobuf a : attrs) readAttribute(a, out.isEmpty() ? name : out.get(0), attributes);
        return new Node(op, name, List.copyOf(in), List.copyOf(out), Map.copyOf(attributes));
    }

    private void readAttribute(Protobuf m, String owner, Map<String, Attribute> into) throws FormatException {
        String name = "";
        float f = 0;
        MappedWeightStore.Slot t = null;
        while (m.hasNext()) {
            switch (m.next()) {
                case 1 -> name = m.string();
                case 2 -> f = m.fixed32Float();
                case 5 -> t = readTensor(m.message(), owner);
                default -> m.skip();
            }
        }
        into.put(name, new Attribute(f, t));
    }

    /** A TensorProto whose payload stays in the file; {@code fallbackName} names an unnamed (Constant) tensor. */
    private MappedWeightStore.Slot readTensor(Protobuf m, String fallbackName) throws FormatException {
        List<Integer> dims = new ArrayList<>();
        int dataType = 0;
        String name = fallbackName, unsupported = null;
        long offset = -1, bytes = 0;
        boolean external = false;
        while (m.hasNext()) {
            int field = m.next();
            switch (field) {
                case 1 -> {
                    if (m.wireType() == Protobuf.LEN) {
                        Protobuf packed = m.message();
                        while (packed.hasNext()) dims.add(Math.toIntExact(packed.varint()));
                    } else {
                        dims.add(Math.toIntExact(m.varint()));
                    }
                }
                case 2 -> dataType = (int) m.varint();
                case 8 -> name = m.string();
                case 4, 9 -> {
                    if (m.wireType() != Protobuf.LEN) throw m.malformed("unpacked float_data in tensor '" + name + "'");
                    Protobuf payload = m.message();
                    offset = payload.position();
                    bytes = payload.remaining();
                }
                case 5, 6, 7, 10, 11 -> {
                    unsupported = "field " + field + " (typed data other than float_data)";
                    m.skip();
                }
                case 14 -> external = m.varint() == 1;
                default -> m.skip();
            }
        }
        if (external) {
            throw new FormatException(label + ": tensor '" + name + "' keeps its data in an external file; only ONNX files with "
                    + "embedded weights are supported");
        }
        int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
        TensorInfo info = new TensorInfo(name, dtype(name, dataType), shape);
        if (offset < 0 && info.numel() > 0) {
            throw new FormatException(label + ": tensor '" + name + "' has no raw_data or float_data"
                    + (unsupported == null ? "" : "; it uses " + unsupported + ", which Loupe does not read"));
        }
        if (info.numel() > 0 && bytes != info.nbytes()) {
            throw new FormatException(label + ": tensor " + info + " holds " + bytes + " bytes of data, expected " + info.nbytes());
        }
        return new MappedWeightStore.Slot(info, offset);
    }

    /** TensorProto.DataType numbers → Loupe's element types. */
    private DType dtype(String tensor, int onnxType) throws FormatException {
        return switch (onnxType) {
            case 1 -> DType.F32;
            case 2 -> DType.U8;
            case 3 -> DType.I8;
            case 5 -> DType.I16;
            case 6 -> DType.I32;
            case 7 -> DType.I64;
            case 9 -> DType.BOOL;
            case 10 -> DType.F16;
            case 11 -> DType.F64;
            case 16 -> DType.BF16;
            default -> throw new FormatException(label + ": tensor '" + tensor + "' has ONNX data type " + onnxType
                    + ", which Loupe does not read (supported: float, float16, bfloat16, double, int8/16/32/64, uint8, bool)");
        };
    }
}
