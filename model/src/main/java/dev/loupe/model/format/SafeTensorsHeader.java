package dev.loupe.model.format;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses and validates a safetensors header: 8-byte little-endian length N, N bytes of JSON
 * mapping names to {dtype, shape, data_offsets} plus an optional string map {@code __metadata__},
 * then the data region. Checks that every tensor's byte range matches its dtype and shape and
 * that the ranges tile the data region exactly (no gaps, overlaps or trailing bytes), so a
 * truncated or lying file is refused at open time, not at first read.
 */
final class SafeTensorsHeader {
    /** The reference implementation refuses headers above 100 MB; so do we, before allocating. */
    static final long MAX_HEADER = 100_000_000L;

    private static final ObjectMapper JSON = Json.MAPPER;

    /** A parsed header: tensor slots (absolute offsets) in data order, and the metadata. */
    record Parsed(Map<String, MappedWeightStore.Slot> slots, Map<String, String> metadata) {}

    private record Entry(TensorInfo info, long begin, long end) {}

    private SafeTensorsHeader() {}

    static Parsed parse(String label, MemorySegment file) throws FormatException {
        long size = file.byteSize();
        if (size < 8) {
            throw new FormatException(label + ": file is " + size + " bytes, too short for the 8-byte header length of a safetensors file");
        }
        long n = file.get(Decode.I64, 0);
        if (n < 2 || n > size - 8) {
            throw new FormatException(label + ": header length " + Long.toUnsignedString(n) + " does not fit in the file of "
                    + size + " bytes (truncated, or not a safetensors file)");
        }
        if (n > MAX_HEADER) {
            throw new FormatException(label + ": header length " + n + " exceeds the " + MAX_HEADER + "-byte limit");
        }
        byte[] json = file.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        long dataStart = 8 + n;
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        readJson(label, json, entries, metadata);
        checkTiling(label, entries, size - dataStart);
        Map<String, MappedWeightStore.Slot> slots = new LinkedHashMap<>();
        for (Entry e : entries) slots.put(e.info().name(), new MappedWeightStore.Slot(e.info(), dataStart + e.begin()));
        return new Parsed(slots, metadata);
    }

    private static void readJson(String label, byte[] json, List<Entry> entries, Map<String, String> metadata) throws FormatException {
        Set<String> seen = new HashSet<>();
        try (JsonParser p = JSON.createParser(json)) {
            p.disable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION); // a repeated tensor name is named below
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new FormatException(label + ": header is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                JsonNode node = Json.IN_STREAM.readTree(p);
                if (!seen.add(name)) {
                    throw new FormatException(label + ": duplicate tensor name '" + name + "' in header");
                }
                if (name.equals("__metadata__")) {
                    readMetadata(label, node, metadata);
                } else {
                    entries.add(entry(label, name, node));
                }
            }
            if (p.nextToken() != null) {
                throw new FormatException(label + ": unexpected content after the header's JSON object");
            }
        } catch (JsonProcessingException e) {
            throw new FormatException(label + ": header is not valid JSON: " + JsonErrors.describe(e), e);
        } catch (FormatException e) {
            throw e;
        } catch (IOException e) {
            throw new FormatException(label + ": unreadable header: " + e.getMessage(), e);
        }
    }

    private static void readMetadata(String label, JsonNode node, Map<String, String> metadata) throws FormatException {
        if (!node.isObject()) throw new FormatException(label + ": __metadata__ must be an object of strings");
        for (var f : node.properties()) {
            if (!f.getValue().isTextual()) {
                throw new FormatException(label + ": __metadata__ value of '" + f.getKey() + "' is " + f.getValue() + ", not a string");
            }
            metadata.put(f.getKey(), f.getValue().textValue());
        }
    }

    private static Entry entry(String label, String name, JsonNode node) throws FormatException {
        String where = label + ": tensor '" + name + "'";
        if (!node.isObject()) throw new FormatException(where + ": header entry is not an object");
        JsonNode dt = node.get("dtype");
        if (dt == null || !dt.isTextual()) throw new FormatException(where + ": missing string field 'dtype'");
        DType dtype = DType.byName(dt.textValue()).orElseThrow(() -> new FormatException(where + ": unknown dtype '"
                + dt.textValue() + "' (supported: " + Arrays.toString(DType.values()) + ")"));
        int[] shape = shape(where, node.get("shape"));
        long[] off = offsets(where, node.get("data_offsets"));
        TensorInfo info = new TensorInfo(name, dtype, shape);
        long need;
        try {
            need = info.nbytes();
        } catch (ArithmeticException e) {
            throw new FormatException(where + ": shape " + Arrays.toString(shape) + " is too large to address");
        }
        if (off[1] - off[0] != need) {
            throw new FormatException(where + ": data_offsets " + Arrays.toString(off) + " span " + (off[1] - off[0])
                    + " bytes but " + dtype + " " + Arrays.toString(shape) + " needs " + need);
        }
        return new Entry(info, off[0], off[1]);
    }

    private static int[] shape(String where, JsonNode node) throws FormatException {
        if (node == null || !node.isArray()) throw new FormatException(where + ": missing array field 'shape'");
        int[] shape = new int[node.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = node.get(i);
            if (!d.canConvertToInt() || !d.isIntegralNumber() || d.intValue() < 0) {
                throw new FormatException(where + ": shape " + node + " must hold non-negative int32 dimensions");
            }
            shape[i] = d.intValue();
        }
        return shape;
    }

    private static long[] offsets(String where, JsonNode node) throws FormatException {
        if (node == null || !node.isArray() || node.size() != 2
                || !node.get(0).canConvertToLong() || !node.get(1).canConvertToLong()
                || !node.get(0).isIntegralNumber() || !node.get(1).isIntegralNumber()) {
            throw new FormatException(where + ": 'data_offsets' must be [begin, end]");
        }
        long b = node.get(0).longValue(), e = node.get(1).longValue();
        if (b < 0 || e < b) throw new FormatException(where + ": data_offsets [" + b + ", " + e + "] are not 0 <= begin <= end");
        return new long[] {b, e};
    }

    /** The byte ranges, sorted, must cover [0, dataSize) exactly once. */
    private static void checkTiling(String label, List<Entry> entries, long dataSize) throws FormatException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long pos = 0;
        Entry prev = null;
        for (Entry e : sorted) {
            if (e.end() > dataSize) {
                throw new FormatException(label + ": tensor '" + e.info().name() + "' data_offsets [" + e.begin() + ", " + e.end()
                        + "] reach beyond the data region of " + dataSize + " bytes (file truncated?)");
            }
            if (e.begin() < pos) {
                throw new FormatException(label + ": tensors '" + prev.info().name() + "' and '" + e.info().name() + "' overlap");
            }
            if (e.begin() > pos) {
                throw new FormatException(label + ": bytes [" + pos + ", " + e.begin() + ") of the data region belong to no tensor (before '"
                        + e.info().name() + "')");
            }
            pos = e.end();
            prev = e;
        }
        if (pos != dataSize) {
            throw new FormatException(label + ": data region is " + dataSize + " bytes but the tensors cover only " + pos);
        }
    }
}
