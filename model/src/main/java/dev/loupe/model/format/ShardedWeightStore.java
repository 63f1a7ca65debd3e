package dev.loupe.model.format;

import dev.loupe.model.NearestNames;

import dev.loupe.core.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One weight store over the shards of a sharded checkpoint, routing each name to its shard. */
final class ShardedWeightStore implements WeightStore {
    private final String label;
    private final Map<String, WeightStore> byName;
    private final List<WeightStore> shards;
    private final Map<String, String> metadata;

    ShardedWeightStore(String label, Map<String, WeightStore> byName, List<WeightStore> shards, Map<String, String> metadata) {
        this.label = label;
        this.byName = Collections.unmodifiableMap(new LinkedHashMap<>(byName));
        this.shards = shards;
        this.metadata = Map.copyOf(metadata);
    }

    @Override
    public Set<String> names() {
        return byName.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        return shard(name).info(name);
    }

    @Override
    public Tensor tensor(String name) {
        return shard(name).tensor(name);
    }

    @Override
    public Tensor matrix(String name, boolean transposed) {
        return shard(name).matrix(name, transposed);
    }

    @Override
    public long[] longs(String name) {
        return shard(name).longs(name);
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        shards.forEach(WeightStore::close);
    }

    @Override
    public String toString() {
        return "WeightStore[" + label + ", " + shards.size() + " shards, " + byName.size() + " tensors]";
    }

    private WeightStore shard(String name) {
        WeightStore s = byName.get(name);
        if (s == null) {
            throw new IllegalArgumentException(label + ": no tensor '" + name + "'; nearest names: "
                    + NearestNames.describe(name, byName.keySet(), 3));
        }
        return s;
    }
}
