package dev.loupe.interp.intervene;

import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.interp.intervene.Layout.Kind;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.HookPattern;
import dev.loupe.model.hooks.HookSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Compiles an {@link InterventionSpec} against a model into hook functions, checking it against the
 * model's hooks and sizes first: unknown hooks (with the nearest names), vector widths, head and
 * tensor shapes — every error names the spec field at fault.
 *
 * <p>Add, clamp and the projections are built from differentiable {@link Ops}, so gradients flow through
 * them (and into a steering vector given as a tracked tensor); set, zero, mean, patch and resample write
 * constants, so the gradient at replaced elements stops there.
 */
public final class Interventions {
    private Interventions() {}

    /**
     * Runs the clean forward pass of a resample input and records the named hooks (a server queues it with its
     * other model work instead of running it in place).
     */
    @FunctionalInterface
    public interface Resampler {
        /** The activations at {@code hooks} by hook name. */
        Map<String, Tensor> run(int[] ids, List<String> hooks);
    }

    /**
     * @param resolver supplies tensors named in the spec
     * @param tokenize turns a resample input's text into ids (e.g. {@code LoadedModel::tokens}); null if
     *     the spec gives ids only
     */
    public static CompiledInterventions compile(InterventionSpec spec, HookedTransformer model, TensorResolver resolver,
                                                Function<String, int[]> tokenize) {
        return compile(spec, model, resolver, tokenize, (ids, hooks) -> {
            ActivationCache cache = new ActivationCache();
            model.runWithCache(new int[][] {ids}, hooks, cache);
            return cache.asMap();
        });
    }

    /** As {@link #compile(InterventionSpec, HookedTransformer, TensorResolver, Function)}, resample passes run by {@code resampler}. */
    public static CompiledInterventions compile(InterventionSpec spec, HookedTransformer model, TensorResolver resolver,
                                                Function<String, int[]> tokenize, Resampler resampler) {
        List<CompiledInterventions.Placed> edits = new ArrayList<>();
        for (int i = 0; i < spec.interventions().size(); i++) {
            Intervention iv = spec.interventions().get(i);
            String field = "interventions[" + i + "]";
            List<HookSpec> hooks;
            try {
                hooks = HookPattern.select(model.hooks(), iv.hook());
            } catch (IllegalArgumentException e) {
                throw new SpecException(field + ".hook", e.getMessage());
            }
            Map<String, Tensor> resampled = iv.op() instanceof Operation.Resample r ? resample(resampler, r, hooks, tokenize, field) : null;
            for (HookSpec hook : hooks) {
                Layout layout = Layout.of(hook, model.config());
                checkScope(iv.scope(), layout, hook, field, model.config().nCtx());
                ScopedEdit.Replacement rep = replacement(iv.op(), new Target(field, hook, layout, iv.scope()), resolver, resampled);
                edits.add(new CompiledInterventions.Placed(hook, new ScopedEdit(field, layout, iv.scope(), rep)));
            }
        }
        return new CompiledInterventions(model.hooks(), edits);
    }

    /** Where one intervention applies, with the spec field that names it. */
    private record Target(String field, HookSpec hook, Layout layout, Scope scope) {}

    private static ScopedEdit.Replacement replacement(Operation op, Target t, TensorResolver resolver, Map<String, Tensor> resampled) {
        String f = t.field();
        return switch (op) {
            case Operation.Add a -> {
                Tensor v = vector(resolve(a.vector(), resolver, f + ".vector"), t, f + ".vector", true);
                float s = a.scale();
                yield (x, start) -> Ops.addBroadcast(x, Ops.scale(v, s));
            }
            case Operation.Set s when s.value() instanceof TensorRef.Scalar c -> (x, start) -> {
                Tensor y = Tensor.zeros(x.shape());
                Arrays.fill(y.data(), c.value());
                return y;
            };
            case Operation.Set s -> broadcast(vector(resolve(s.value(), resolver, f + ".value"), t, f + ".value", true));
            case Operation.Clamp c -> (x, start) -> Ops.clamp(x, c.min(), c.max());
            case Operation.Zero z -> (x, start) -> Tensor.zeros(x.shape());
            case Operation.Mean m -> broadcast(means(resolve(orHookName(m.means(), t), resolver, f + ".means"), t));
            case Operation.Resample r -> copyFrom(resampled.get(t.hook().name()), t, "resample input");
            case Operation.ProjectOut p -> projection(p.direction(), t, resolver, true);
            case Operation.ProjectOnto p -> projection(p.direction(), t, resolver, false);
            case Operation.Patch p -> copyFrom(source(resolve(orHookName(p.source(), t), resolver, f + ".source"), t), t, "patch source");
        };
    }

    private static void checkScope(Scope scope, Layout layout, HookSpec hook, String field, int nCtx) {
        if (scope.positions() instanceof Positions.At at && at.positions().length > 0 && at.positions()[at.positions().length - 1] >= nCtx) {
            throw new SpecException(field + ".positions", "position " + at.positions()[at.positions().length - 1] + " is past the model's context of " + nCtx);
        }
        if (scope.heads() == null) return;
        if (!layout.hasHeads()) throw new SpecException(field + ".heads", hook.name() + " has no heads axis (shape " + hook.shape() + ")");
        for (int h : scope.heads()) {
            if (h >= layout.heads()) {
                throw new SpecException(field + ".heads", "head " + h + " is out of range: " + hook.name() + " has "
                        + layout.heads() + " heads (" + layout.headsName(hook) + ")");
            }
        }
    }

    private static TensorRef orHookName(TensorRef ref, Target t) {
        return ref != null ? ref : new TensorRef.Named(t.hook().name());
    }

    private static Tensor resolve(TensorRef ref, TensorResolver resolver, String field) {
        return switch (ref) {
            case TensorRef.Inline v -> Tensor.of(v.values(), v.values().length);
            case TensorRef.Named n -> resolver.require(n.name(), field);
            case TensorRef.Scalar s -> throw new SpecException(field, "expected a vector, got the number " + s.value());
        };
    }

    /** A vector the width of the hook's last axis; at per-head hooks optionally one slice per head. */
    private static Tensor vector(Tensor v, Target t, String field, boolean perHead) {
        Layout l = t.layout();
        if (l.kind() == Kind.PATTERN) {
            throw new SpecException(field, t.hook().name() + " ends in key positions, which grow with the sequence, so a vector cannot apply;"
                    + " use zero, set with a number, clamp, patch or resample");
        }
        if (v.numel() == l.width()) return v.reshape(l.width());
        boolean heads = perHead && l.kind() == Kind.HEADS;
        if (heads && v.numel() == l.heads() * l.width()) return v.reshape(l.heads(), l.width());
        throw new SpecException(field, "vector has " + v.numel() + " values but " + t.hook().name() + " has width " + l.widthName()
                + (heads ? " (or " + l.heads() + "·" + l.width() + "=" + l.heads() * l.width() + " for one slice per head)" : ""));
    }

    private static Tensor means(Tensor m, Target t) {
        int[] feature = t.layout().featureShape();
        if (feature == null) throw new SpecException(t.field() + ".op", "mean-ablation needs a fixed shape per position; " + t.hook().name() + " has none");
        if (m.numel() != Tensor.numel(feature)) {
            throw new SpecException(t.field() + ".means", "mean of shape " + Arrays.toString(m.shape()) + " does not fit " + t.hook().name()
                    + ", which needs " + Arrays.toString(feature) + " per position");
        }
        return m.reshape(feature);
    }

    private static ScopedEdit.Replacement broadcast(Tensor v) {
        return (x, start) -> Ops.addBroadcast(Tensor.zeros(x.shape()), v);
    }

    /** x - (x·u)u (remove) or (x·u)u (keep) for the unit direction u, as two differentiable matrix products. */
    private static ScopedEdit.Replacement projection(TensorRef ref, Target t, TensorResolver resolver, boolean remove) {
        String field = t.field() + ".direction";
        float[] u = vector(resolve(ref, resolver, field), t, field, false).data().clone();
        double norm = 0;
        for (float v : u) norm += (double) v * v;
        if (norm == 0) throw new SpecException(field, "the direction is the zero vector");
        for (int i = 0; i < u.length; i++) u[i] = (float) (u[i] / Math.sqrt(norm));
        Tensor row = Tensor.of(u, 1, u.length), col = Tensor.of(u, u.length, 1);
        return (x, start) -> {
            Tensor along = Ops.linear(Ops.linear(x, row, null), col, null);
            return remove ? Ops.add(x, Ops.scale(along, -1f)) : along;
        };
    }

    /** Checks a patch source against the hook: [batch or 1, pos, ...] (or without the batch axis). */
    private static Tensor source(Tensor s, Target t) {
        Layout l = t.layout();
        int rank = l.kind() == Kind.VECTOR ? 3 : 4;
        if (s.rank() == rank - 1) {
            int[] withBatch = new int[rank];
            withBatch[0] = 1;
            System.arraycopy(s.shape(), 0, withBatch, 1, rank - 1);
            s = s.reshape(withBatch);
        }
        boolean fits = s.rank() == rank && switch (l.kind()) {
            case VECTOR -> s.size(2) == l.width();
            case HEADS -> s.size(2) == l.heads() && s.size(3) == l.width();
            case PATTERN -> s.size(1) == l.heads();
        };
        if (!fits) {
            throw new SpecException(t.field() + ".source", "tensor of shape " + Arrays.toString(s.shape()) + " does not fit "
                    + t.hook().name() + " " + t.hook().shape());
        }
        return s;
    }

    /** Values of {@code src} at the same rows (or its one row), absolute positions and heads. */
    private static ScopedEdit.Replacement copyFrom(Tensor src, Target t, String what) {
        int[] ss = src.shape();
        Layout l = t.layout();
        int covered = l.positions(ss), srcWidth = ss[ss.length - 1];
        return (x, start) -> {
            int[] shape = x.shape();
            if (ss[0] != 1 && ss[0] != shape[0]) {
                throw new SpecException(t.field(), "the " + what + " has " + ss[0] + " rows but the batch has " + shape[0]);
            }
            float[] o = new float[x.numel()];
            l.forEach(shape, start, t.scope(), (row, pos, head, off, len) -> {
                if (pos >= covered || len > srcWidth) {
                    throw new SpecException(t.field(), "the " + what + " covers positions [0, " + covered + ") but the run reached position "
                            + pos + " at " + t.hook().name() + "; narrow \"positions\"");
                }
                System.arraycopy(src.data(), l.offset(ss, ss[0] == 1 ? 0 : row, pos, head), o, off, len);
            });
            return Tensor.of(o, shape);
        };
    }

    /** The clean activations of the resample input at the intervention's hooks. */
    private static Map<String, Tensor> resample(Resampler resampler, Operation.Resample r, List<HookSpec> hooks,
                                            Function<String, int[]> tokenize, String field) {
        int[] ids = r.ids();
        if (ids == null) {
            if (tokenize == null) throw new SpecException(field + ".input.text", "no tokenizer is available here; give \"ids\" instead");
            ids = tokenize.apply(r.text());
        }
        try {
            return resampler.run(ids, hooks.stream().map(HookSpec::name).toList());
        } catch (IllegalArgumentException e) {
            throw new SpecException(field + ".input", e.getMessage());
        }
    }
}
