package dev.loupe.model.hooks;

import dev.loupe.core.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Activations recorded during a run, by hook name, in the order they were produced. */
public final class ActivationCache {
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    void put(String name, Tensor t) {
        tensors.put(name, t);
    }

    /** The activation recorded at {@code name}; a clear error names what was cached instead. */
    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no activation cached at '" + name + "'; cached: "
                    + (tensors.size() <= 8 ? tensors.keySet() : tensors.size() + " hooks, e.g. " + tensors.keySet().iterator().next()));
        }
        return t;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    public Map<String, Tensor> asMap() {
        return Collections.unmodifiableMap(tensors);
    }
}
