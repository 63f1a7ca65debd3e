package dev.loupe.server.wire;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.http.Body;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
        return switch (this) {
            case JSON -> json(extras, tensors);
            case NPY -> {
                if (tensors.size() != 1) {
                    throw new ApiError(406, "Accept: application/x-npy carries exactly one array but this response has " + tensors.size()
                            + " (" + tensors.stream().map(NamedTensor::name).toList() + "); ask for application/vnd.safetensors, or select one");
                }
                yield Npy.encode(tensors.getFirst());
            }
            case SAFETENSORS -> safetensors(extras, tensors);
        };
    }

    private static byte[] json(ObjectNode extras, List<NamedTensor> tensors) {
        ObjectNode root = extras.deepCopy();
        ObjectNode ts = root.putObject("tensors");
        for (NamedTensor t : tensors) {
            ObjectNode o = ts.putObject(t.name());
            var shape = o.putArray("shape");
            for (int s : t.shape()) shape.add(s);
            o.put("dtype", t.isFloat() ? "float32" : "int64");
            var data = o.putArray("data");
            if (t.isFloat()) for (float v : t.floats()) data.add(v);
            else for (long v : t.longs()) data.add(v);
        }
        try {
            return Body.JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] safetensors(ObjectNode extras, List<NamedTensor> tensors) {
        SafeTensorsWriter w = new SafeTensorsWriter();
        for (Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e : extras.properties()) {
            w.metadata(e.getKey(), e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString());
        }
        for (NamedTensor t : tensors) {
            if (t.isFloat()) w.add(t.name(), DType.F32, Tensor.of(t.floats(), t.shape()));
            else w.addLongs(t.name(), DType.I64, t.longs(), t.shape());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            w.write(Channels.newChannel(out), "response");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
