package dev.loupe.interp.intervene;

import dev.loupe.core.Tensor;
import dev.loupe.model.format.WeightStore;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.NearestNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Supplies the named tensors a spec refers to ({@code {"ref": "name"}}: vectors, mean activations,
 * another run's cache). The caller decides where names come from (an in-memory map, an activation cache,
 * safetensors files the CLI was given), so a spec never reaches the file system by itself.
 */
public interface TensorResolver {
    /** The tensor named {@code name}, or null when there is none. */
    Tensor find(String name);

    /** Names this resolver holds (for error messages). */
    Set<String> names();

    /** The tensor named {@code name}; a clear error names the field and the nearest names otherwise. */
    default Tensor require(String name, String field) {
        Tensor t = find(name);
        if (t == null) {
            List<String> near = NearestNames.nearest(name, names(), 3);
            throw new SpecException(field, "no tensor named '" + name + "'" + (near.isEmpty() ? " (no tensors were provided)" : "; nearest: " + near));
        }
        return t;
    }

    TensorResolver EMPTY = of(Map.of());

    static TensorResolver of(Map<String, Tensor> tensors) {
        return new TensorResolver() {
            public Tensor find(String name) {
                return tensors.get(name);
            }

            public Set<String> names() {
                return new TreeSet<>(tensors.keySet());
            }
        };
    }

    static TensorResolver of(ActivationCache cache) {
        return of(cache.asMap());
    }

    /** Tensors of several stores (e.g. safetensors files), read on first use; a name in two stores is an error. */
    static TensorResolver of(List<WeightStore> stores) {
        return new TensorResolver() {
            public Tensor find(String name) {
                List<WeightStore> hits = new ArrayList<>();
                for (WeightStore s : stores) if (s.contains(name)) hits.add(s);
                if (hits.size() > 1) throw new IllegalArgumentException("tensor '" + name + "' is in more than one of the given files");
                return hits.isEmpty() ? null : hits.getFirst().tensor(name);
            }

            public Set<String> names() {
                Set<String> all = new TreeSet<>();
                for (WeightStore s : stores) all.addAll(s.names());
                return all;
            }
        };
    }
}
