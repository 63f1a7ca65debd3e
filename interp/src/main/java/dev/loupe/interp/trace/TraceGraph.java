package dev.loupe.interp.trace;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.format.Json;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * An experiment recorded as data (see {@code docs/trace.md}, schema {@code docs/trace.schema.json}): the inputs
 * (one sequence per invoke), optionally a number of generation steps, and a list of nodes, each an operation on
 * earlier nodes. Nothing in a graph is code: every node is an op from a fixed list, so a server can check a graph
 * completely before running it.
 *
 * @param invokes input sequences; a prompt is tokenized by whoever runs the graph
 * @param steps 0 for a forward (and backward) pass; otherwise tokens to generate greedily, hook nodes naming a step
 */
public record TraceGraph(int version, List<Invoke> invokes, int steps, List<Node> nodes) {
    public static final int VERSION = 1;
    static final ObjectMapper JSON = Json.MAPPER;

    /** One input sequence: token ids, or a prompt still to tokenize (with a BOS token unless {@code bos} is false). */
    public record Invoke(int[] tokens, String prompt, boolean bos) {}

    /**
     * One operation. {@code in} are the ids of earlier nodes it reads; {@code attrs} its other fields; {@code line}
     * where the user's code made it (for error messages; may be null).
     */
    public record Node(int id, String op, int[] in, ObjectNode attrs, String line) {
        String str(String f) {
            JsonNode v = attrs.get(f);
            if (v == null || !v.isTextual()) throw TraceException.bad(this, "'" + op + "' needs a string field '" + f + "'");
            return v.textValue();
        }

        int integer(String f, Integer dflt) {
            JsonNode v = attrs.get(f);
            if (v == null || v.isNull()) {
                if (dflt == null) throw TraceException.bad(this, "'" + op + "' needs an integer field '" + f + "'");
                return dflt;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt()) throw TraceException.bad(this, "'" + f + "' must be an integer, got " + v);
            return v.intValue();
        }

        boolean has(String f) {
            return attrs.hasNonNull(f);
        }
    }

    /**
     * Reads a graph from JSON, node by node, refusing it as soon as it has more than {@code maxNodes} nodes (a huge
     * graph is never held in memory).
     */
    public static TraceGraph read(InputStream in, int maxNodes) throws IOException {
        try (JsonParser p = JSON.getFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new TraceException(400, -1, null, "a trace graph is a JSON object");
            int version = -1, steps = 0;
            List<Invoke> invokes = null;
            List<Node> nodes = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                JsonToken t = p.nextToken();
                switch (f) {
                    case "version" -> version = p.getIntValue();
                    case "steps" -> steps = p.getIntValue();
                    case "invokes" -> invokes = invokes(Json.IN_STREAM.readTree(p));
                    case "nodes" -> {
                        if (t != JsonToken.START_ARRAY) throw new TraceException(400, -1, null, "'nodes' must be an array");
                        nodes = new ArrayList<>();
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            if (nodes.size() >= maxNodes) {
                                throw new TraceException(413, nodes.size(), null, "the graph has more than " + maxNodes + " nodes, the limit of this server");
                            }
                            nodes.add(node(nodes.size(), Json.IN_STREAM.readTree(p)));
                        }
                    }
                    default -> throw new TraceException(400, -1, null, "unknown field '" + f + "' (a graph has version, invokes, steps, nodes)");
                }
            }
            if (version != VERSION) throw new TraceException(400, -1, null, "unsupported trace graph version " + version + " (this server reads version " + VERSION + ")");
            if (invokes == null || invokes.isEmpty()) throw new TraceException(400, -1, null, "'invokes' must list at least one input");
            if (nodes == null) nodes = List.of();
            return new TraceGraph(version, invokes, steps, nodes);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new TraceException(400, -1, null, "malformed JSON: " + e.getOriginalMessage());
        }
    }

    public static TraceGraph parse(String json, int maxNodes) {
        try {
            return read(new java.io.ByteArrayInputStream(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)), maxNodes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<Invoke> invokes(JsonNode a) {
        if (a == null || !a.isArray()) throw new TraceException(400, -1, null, "'invokes' must be an array");
        List<Invoke> out = new ArrayList<>();
        for (JsonNode e : a) {
            if (e.has("tokens") && e.get("tokens").isArray()) {
                int[] ids = new int[e.get("tokens").size()];
                for (int i = 0; i < ids.length; i++) {
                    JsonNode v = e.get("tokens").get(i);
                    if (!v.canConvertToInt()) throw new TraceException(400, -1, null, "invokes[" + out.size() + "].tokens[" + i + "] is not an integer");
                    ids[i] = v.intValue();
                }
                out.add(new Invoke(ids, null, false));
            } else if (e.has("prompt") && e.get("prompt").isTextual()) {
                out.add(new Invoke(null, e.get("prompt").textValue(), !e.has("bos") || e.get("bos").asBoolean(true)));
            } else {
                throw new TraceException(400, -1, null, "invokes[" + out.size() + "] needs 'prompt' (text) or 'tokens' (ids)");
            }
        }
        return out;
    }

    private static Node node(int id, JsonNode n) {
        if (n == null || !n.isObject()) throw new TraceException(400, id, null, "a node is a JSON object");
        ObjectNode attrs = ((ObjectNode) n).deepCopy();
        JsonNode op = attrs.remove("op"), in = attrs.remove("in"), line = attrs.remove("line");
        String where = line != null && line.isTextual() ? line.textValue() : null;
        if (op == null || !op.isTextual()) throw new TraceException(400, id, where, "a node needs an 'op' string");
        int[] inputs = new int[0];
        if (in != null) {
            if (!in.isArray()) throw new TraceException(400, id, where, "'in' must be an array of node ids");
            inputs = new int[in.size()];
            for (int i = 0; i < inputs.length; i++) {
                if (!in.get(i).canConvertToInt()) throw new TraceException(400, id, where, "'in' must hold node ids, got " + in.get(i));
                inputs[i] = in.get(i).intValue();
            }
        }
        return new Node(id, op.textValue(), inputs, attrs, where);
    }

    /** This graph with every prompt replaced by its token ids. */
    public TraceGraph tokenized(java.util.function.BiFunction<String, Boolean, int[]> tokenizer) {
        List<Invoke> out = new ArrayList<>();
        for (Invoke i : invokes) out.add(i.tokens() != null ? i : new Invoke(tokenizer.apply(i.prompt(), i.bos()), null, false));
        return new TraceGraph(version, out, steps, nodes);
    }

    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode().put("version", version);
        ArrayNode inv = o.putArray("invokes");
        for (Invoke i : invokes) {
            ObjectNode e = inv.addObject();
            if (i.tokens() != null) {
                ArrayNode t = e.putArray("tokens");
                for (int id : i.tokens()) t.add(id);
            } else {
                e.put("prompt", i.prompt()).put("bos", i.bos());
            }
        }
        if (steps > 0) o.put("steps", steps);
        ArrayNode ns = o.putArray("nodes");
        for (Node n : nodes) {
            ObjectNode e = ns.addObject().put("op", n.op());
            if (n.in().length > 0) {
                ArrayNode in = e.putArray("in");
                for (int i : n.in()) in.add(i);
            }
            for (Iterator<String> it = n.attrs().fieldNames(); it.hasNext(); ) {
                String f = it.next();
                e.set(f, n.attrs().get(f));
            }
            if (n.line() != null) e.put("line", n.line());
        }
        return o;
    }
}
