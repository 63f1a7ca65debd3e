package dev.loupe.model.hooks;

import dev.loupe.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hook functions of one run, resolved against one model's hook points. Built fresh per run, so
 * hooks never outlive the call they were given to. An empty set costs one array read per hook point.
 *
 * <p>For benchmarking only, {@code -Dloupe.hooks=off} removes the machinery: {@link #fire} returns its
 * input and {@link #active} is false without a lookup (a constant the JIT folds away), so hook
 * functions never run. {@code loupe bench} compares a forward with no hooks set against this baseline.
 */
public final class Hooks {
    private static final boolean OFF = "off".equals(System.getProperty("loupe.hooks"));

    private final HookIndex index;
    private final HookFn[] fns;

    private Hooks(HookIndex index, HookFn[] fns) {
        this.index = index;
        this.fns = fns;
    }

    public static Hooks none(HookIndex index) {
        return new Hooks(index, new HookFn[index.size()]);
    }

    public static Builder builder(HookIndex index) {
        return new Builder(index);
    }

    public HookIndex index() {
        return index;
    }

    /** Whether any function is set at (layer, site). */
    public boolean active(int layer, Site site) {
        if (OFF) return false;
        int i = index.index(layer, site);
        return i >= 0 && fns[i] != null;
    }

    /** Runs the functions at (layer, site) on {@code x}; returns what they leave (x when none are set). */
    public Tensor fire(int layer, Site site, Tensor x, int startPosition) {
        if (OFF) return x;
        int i = index.index(layer, site);
        if (i < 0) throw new IllegalStateException("model has no hook point " + site.name(layer));
        return fire(index.specs().get(i), x, startPosition);
    }

    /** Whether any function is set at {@code spec} (a point of this index, e.g. one of an attached module). */
    public boolean active(HookSpec spec) {
        return fns[spec.index()] != null;
    }

    /** Runs the functions at {@code spec} on {@code x}: how an attached module fires its own hook points. */
    public Tensor fire(HookSpec spec, Tensor x, int startPosition) {
        HookFn fn = fns[spec.index()];
        if (fn == null) return x;
        Tensor y = fn.apply(x, new HookContext(spec, startPosition));
        if (y == null) return x;
        if (!y.sameShape(x)) {
            throw new IllegalArgumentException("hook at " + spec.name() + " returned shape " + Arrays.toString(y.shape())
                    + " but the activation has shape " + Arrays.toString(x.shape()));
        }
        return y;
    }

    /** Collects hook functions by name pattern; several functions at one point run in the order added. */
    public static final class Builder {
        private final HookIndex index;
        private final HookFn[] fns;

        Builder(HookIndex index) {
            this.index = index;
            this.fns = new HookFn[index.size()];
        }

        /** Adds {@code fn} at every hook point {@code pattern} selects (see {@link HookPattern}). */
        public Builder add(String pattern, HookFn fn) {
            for (HookSpec s : HookPattern.select(index, pattern)) add(s, fn);
            return this;
        }

        public Builder add(HookSpec spec, HookFn fn) {
            HookFn prev = fns[spec.index()];
            fns[spec.index()] = prev == null ? fn : (x, ctx) -> {
                Tensor y = prev.apply(x, ctx);
                return fn.apply(y == null ? x : y, ctx);
            };
            return this;
        }

        /**
         * Adds a backward hook at every point {@code pattern} selects: it sees the gradient of the activation
         * there when a backward pass runs through this forward (see {@link dev.loupe.core.Autograd}).
         */
        public Builder addBackward(String pattern, BackwardHookFn fn) {
            for (HookSpec s : HookPattern.select(index, pattern)) {
                add(s, (x, ctx) -> x.onGrad(g -> fn.apply(g, ctx)));
            }
            return this;
        }

        /** Caches every activation the patterns select into {@code cache} (no copy: activations are never mutated). */
        public Builder cache(List<String> patterns, ActivationCache cache) {
            Map<String, HookSpec> selected = new LinkedHashMap<>();
            for (String p : patterns) for (HookSpec s : HookPattern.select(index, p)) selected.put(s.name(), s);
            for (HookSpec s : selected.values()) add(s, (x, ctx) -> {
                cache.put(ctx.hook().name(), x);
                return x;
            });
            return this;
        }

        public Hooks build() {
            return new Hooks(index, fns.clone());
        }
    }

    /** Names of hook points with functions set, in forward order (for diagnostics). */
    public List<String> activeNames() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < fns.length; i++) if (fns[i] != null) names.add(index.specs().get(i).name());
        return names;
    }
}
