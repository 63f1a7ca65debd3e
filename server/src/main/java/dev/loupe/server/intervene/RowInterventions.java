package dev.loupe.server.intervene;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.interp.intervene.CompiledInterventions;
import dev.loupe.interp.intervene.InterventionSpec;
import dev.loupe.interp.intervene.Interventions;
import dev.loupe.interp.intervene.SpecException;
import dev.loupe.interp.intervene.TensorResolver;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.hooks.HookFn;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.http.Body;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Interventions in the library's spec format ({@code docs/interventions.md}) for requests that share a forward
 * pass. A request's {@code interventions} (a JSON array of spec entries, or a whole spec object) is compiled
 * against the model when the request arrives, so a bad spec is a 400 before anything queues. In a micro-batch
 * each request is one row: its edits see only that row (as a [1, ...] activation, exactly what they would see
 * alone) and the results are written back into the shared activation. A batch of one installs the compiled hooks
 * directly, which keeps them differentiable for gradient requests.
 */
public final class RowInterventions {
    /** Most entries in one request's interventions, and most hook edits they may expand to (each costs a pass per forward). */
    public static final int MAX_ENTRIES = 256, MAX_EDITS = 1024;
    /** Most {@code resample} entries in one request: each costs a forward pass of its own input. */
    public static final int MAX_RESAMPLES = 8;

    private RowInterventions() {}

    /** How many entries of a request's {@code interventions} field are resamples (each needs a forward pass to compile). */
    public static int resamples(JsonNode field) {
        JsonNode list = field == null ? null : field.isArray() ? field : field.get("interventions");
        int n = 0;
        if (list != null && list.isArray()) {
            for (JsonNode e : list) if (e.isObject() && "resample".equals(e.path("op").asText(null))) n++;
        }
        return n;
    }

    /**
     * Compiles a request's {@code interventions} field (absent: none). Entries may not name batch rows. Resample
     * inputs given as text are tokenized by {@code tokenize}, which applies the request limits.
     */
    public static CompiledInterventions compile(JsonNode field, String path, LoadedModel model, TensorResolver tensors,
                                                Function<String, int[]> tokenize, Interventions.Resampler resampler) {
        if (field == null || field.isNull()) return null;
        ObjectNode spec;
        if (field.isArray()) {
            spec = Body.JSON.createObjectNode().put("version", InterventionSpec.VERSION);
            spec.set("interventions", field);
        } else if (field.isObject()) {
            spec = (ObjectNode) field;
        } else {
            throw ApiError.badRequest(path + ": expected an array of interventions (or a spec object), got " + field.getNodeType().name().toLowerCase());
        }
        JsonNode list = spec.get("interventions");
        if (list != null && list.size() > MAX_ENTRIES) {
            throw ApiError.tooLarge(path + ": " + list.size() + " entries; a request may carry at most " + MAX_ENTRIES);
        }
        if (resamples(field) > MAX_RESAMPLES) {
            throw ApiError.tooLarge(path + ": " + resamples(field) + " resample entries, each a forward pass of its own; at most " + MAX_RESAMPLES);
        }
        if (list != null && list.isArray()) {
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i).has("rows")) {
                    throw ApiError.badRequest(path + "[" + i + "].rows: a request is one sequence; rows are for batches built in process");
                }
            }
        }
        CompiledInterventions compiled;
        try {
            compiled = Interventions.compile(InterventionSpec.parse(spec.toString()), model.transformer(), tensors, tokenize, resampler);
        } catch (SpecException e) { // names the field as "interventions[i]...."
            throw ApiError.badRequest(path.substring(0, path.length() - "interventions".length()) + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(path + ": " + e.getMessage());
        }
        if (compiled.edits().size() > MAX_EDITS) {
            throw ApiError.tooLarge(path + ": the entries select " + compiled.edits().size() + " hook edits (patterns expand to every hook they match),"
                    + " each a pass over its activation per forward; at most " + MAX_EDITS);
        }
        return compiled;
    }

    /** Adds hooks applying {@code perRow.get(b)} (null: none) to row b of the batch. */
    public static void install(Hooks.Builder hooks, List<CompiledInterventions> perRow) {
        if (perRow.size() == 1) {
            if (perRow.getFirst() != null) perRow.getFirst().addTo(hooks);
            return;
        }
        record RowFn(int row, HookFn fn) {}
        Map<HookSpec, List<RowFn>> bySpec = new LinkedHashMap<>();
        for (int b = 0; b < perRow.size(); b++) {
            if (perRow.get(b) == null) continue;
            for (CompiledInterventions.Placed p : perRow.get(b).edits()) bySpec.computeIfAbsent(p.hook(), k -> new ArrayList<>()).add(new RowFn(b, p.fn()));
        }
        bySpec.forEach((spec, fns) -> hooks.add(spec, (x, ctx) -> {
            Tensor out = x.copy();
            int size = x.numel() / x.size(0);
            int[] rowShape = x.shape();
            rowShape[0] = 1;
            for (RowFn f : fns) {
                Tensor row = Tensor.of(java.util.Arrays.copyOfRange(out.data(), f.row() * size, (f.row() + 1) * size), rowShape);
                Tensor y = f.fn().apply(row, ctx);
                System.arraycopy((y == null ? row : y).data(), 0, out.data(), f.row() * size, size);
            }
            return out;
        }));
    }
}
