package dev.loupe.server.wire;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.http.Body;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How a response's arrays travel, chosen from the Accept header: JSON (the default, for small results and
 * the browser), safetensors (any number of arrays, with the JSON extras in its {@code __metadata__}), or
 * {@code .npy} (exactly one array; {@code numpy.load} reads it as is).
 */
public enum TensorEncoding {
    JSON("application/json"),
    SAFETENSORS("application/vnd.safetensors"),
    NPY("application/x-npy");

    private final String mediaType;

    TensorEncoding(String mediaType) {
        this.mediaType = mediaType;
    }

    public String mediaType() {
        return mediaType;
    }

    /** The encoding an Accept header asks for; JSON when it names none of ours (or accepts anything). */
    public static TensorEncoding negotiate(String accept) {
        if (accept == null) return JSON;
        String a = accept.toLowerCase(Locale.ROOT);
        if (a.contains("safetensors")) return SAFETENSORS;
        if (a.contains("x-npy")) return NPY;
        return JSON;
    }

    /** Bytes of a response carrying {@code extras} (small JSON fields) and {@code tensors}. */
    public byte[] encode(ObjectNode extras, List<NamedTensor> tensors) {
        if (this == NPY) return Npy.encode(only(tensors));
        long length = length(extras, tensors);
        ByteArrayOutputStream out = new ByteArrayOutputStream(length > 0 ? (int) length : 8192);
        try {
            write(extras, tensors, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Bytes {@link #write} will write, or -1 when they are known only once written (JSON: the numbers' text). */
    public long length(ObjectNode extras, List<NamedTensor> tensors) {
        return switch (this) {
            case JSON -> -1;
            case NPY -> Npy.length(only(tensors));
            case SAFETENSORS -> safetensors(extras, tensors).size();
        };
    }

    /**
     * Writes the response to {@code out} as it is encoded, through buffers of tens of KiB: nothing the size of the
     * response is built, so a client that reads slowly holds only the arrays it asked for.
     */
    public void write(ObjectNode extras, List<NamedTensor> tensors, OutputStream out) throws IOException {
        switch (this) {
            case JSON -> json(extras, tensors, out);
            case NPY -> Npy.write(only(tensors), out);
            case SAFETENSORS -> safetensors(extras, tensors).write(Channels.newChannel(out), "response");
        }
    }

    private static NamedTensor only(List<NamedTensor> tensors) {
        if (tensors.size() != 1) {
            throw new ApiError(406, "Accept: application/x-npy carries exactly one array but this response has " + tensors.size()
                    + " (" + tensors.stream().map(NamedTensor::name).toList() + "); ask for application/vnd.safetensors, or select one");
        }
        return tensors.getFirst();
    }

    /** {@code extras}' fields, then {@code "tensors": {name: {"shape", "dtype", "data"}}}, each value as the tree would print it. */
    private static void json(ObjectNode extras, List<NamedTensor> tensors, OutputStream out) throws IOException {
        JsonGenerator g = Body.JSON.createGenerator(out);
        g.writeStartObject();
        for (Map.Entry<String, JsonNode> e : extras.properties()) {
            g.writeFieldName(e.getKey());
            Body.JSON.writeTree(g, e.getValue());
        }
        g.writeObjectFieldStart("tensors");
        for (NamedTensor t : tensors) {
            g.writeObjectFieldStart(t.name());
            g.writeArrayFieldStart("shape");
            for (int s : t.shape()) g.writeNumber(s);
            g.writeEndArray();
            g.writeStringField("dtype", t.isFloat() ? "float32" : "int64");
            g.writeArrayFieldStart("data");
            if (t.isFloat()) for (float v : t.floats()) g.writeNumber(v);
            else for (long v : t.longs()) g.writeNumber(v);
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndObject();
        g.writeEndObject();
        g.flush(); // not closed: the caller owns out
    }

    private static SafeTensorsWriter safetensors(ObjectNode extras, List<NamedTensor> tensors) {
        SafeTensorsWriter w = new SafeTensorsWriter();
        for (Map.Entry<String, JsonNode> e : extras.properties()) {
            w.metadata(e.getKey(), e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString());
        }
        for (NamedTensor t : tensors) {
            if (t.isFloat()) w.add(t.name(), DType.F32, Tensor.of(t.floats(), t.shape()));
            else w.addLongs(t.name(), DType.I64, t.longs(), t.shape());
        }
        return w;
    }
}
