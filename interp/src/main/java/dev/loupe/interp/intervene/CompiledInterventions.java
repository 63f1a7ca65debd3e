package dev.loupe.interp.intervene;

import dev.loupe.model.hooks.HookFn;
import dev.loupe.model.hooks.HookIndex;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.model.hooks.Hooks;
import java.util.List;

/**
 * A spec compiled against one model: hook functions by hook point, in spec order. Use {@link #hooks()}
 * for a plain forward or generation, or {@link #addTo} to combine them with caching or gradient hooks
 * (added earlier runs first at a shared point).
 */
public record CompiledInterventions(HookIndex index, List<Placed> edits) {
    /** One hook function at one hook point. */
    public record Placed(HookSpec hook, HookFn fn) {}

    public CompiledInterventions {
        edits = List.copyOf(edits);
    }

    public Hooks.Builder addTo(Hooks.Builder builder) {
        for (Placed p : edits) builder.add(p.hook(), p.fn());
        return builder;
    }

    public Hooks hooks() {
        return addTo(Hooks.builder(index)).build();
    }
}
