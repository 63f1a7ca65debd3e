package dev.loupe.server.intervene;

import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.model.hooks.HookIndex;
import dev.loupe.model.hooks.HookPattern;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.server.http.ApiError;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The interventions of every row of a micro-batch installed as hooks on the shared forward pass: each row's
 * edits touch only that row, so requests with different interventions share one pass. At a hook point the
 * activation becomes x·m + c with m and c built for the whole batch (1 and 0 where no row intervenes), which
 * leaves untouched rows bit-for-bit unchanged and keeps the edit differentiable.
 */
public final class RowInterventions {
    private RowInterventions() {}

    private record RowEdit(int row, Intervention edit) {}

    /** Checks every row's interventions against the model: hook patterns exist, vectors and heads fit. */
    public static void validate(HookIndex index, List<Intervention> interventions, java.util.function.Function<HookSpec, int[]> rowShape) {
        for (Intervention iv : interventions) {
            List<HookSpec> specs;
            try {
                specs = HookPattern.select(index, iv.hook());
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("intervention: " + e.getMessage());
            }
            for (HookSpec s : specs) iv.check(s, rowShape.apply(s));
        }
    }

    /** Adds hooks applying {@code perRow.get(b)} to row b of the batch. */
    public static void install(Hooks.Builder hooks, HookIndex index, List<List<Intervention>> perRow) {
        Map<HookSpec, List<RowEdit>> bySpec = new LinkedHashMap<>();
        for (int b = 0; b < perRow.size(); b++) {
            for (Intervention iv : perRow.get(b)) {
                for (HookSpec s : HookPattern.select(index, iv.hook())) bySpec.computeIfAbsent(s, k -> new ArrayList<>()).add(new RowEdit(b, iv));
            }
        }
        bySpec.forEach((spec, edits) -> hooks.add(spec, (x, ctx) -> {
            int[] shape = x.shape();
            int[] rowShape = Arrays.copyOfRange(shape, 1, shape.length);
            int rowSize = x.numel() / shape[0];
            float[] m = new float[x.numel()], c = new float[x.numel()];
            Arrays.fill(m, 1f);
            for (RowEdit e : edits) e.edit().write(spec, m, c, e.row() * rowSize, rowShape, ctx.startPosition());
            return Ops.add(Ops.mul(x, Tensor.of(m, shape)), Tensor.of(c, shape));
        }));
    }
}
