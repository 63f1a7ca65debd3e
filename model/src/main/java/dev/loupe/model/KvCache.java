package dev.loupe.model;

import dev.loupe.core.Tensor;

/**
 * Keys and values of past positions for incremental decoding: per layer [batch, capacity, n_kv_heads, d_head]
 * (keys after rotary). A forward with a cache appends its positions and advances {@link #length()}.
 */
public final class KvCache {
    private final int batch;
    private final int capacity;
    private final int width;
    private final Tensor[] keys;
    private final Tensor[] values;
    private int length;

    public KvCache(TransformerConfig cfg, int batch, int capacity) {
        this.batch = batch;
        this.capacity = capacity;
        this.width = cfg.nKvHeads() * cfg.dHead();
        keys = new Tensor[cfg.nLayers()];
        values = new Tensor[cfg.nLayers()];
        for (int l = 0; l < cfg.nLayers(); l++) {
            keys[l] = Tensor.zeros(batch, capacity, cfg.nKvHeads(), cfg.dHead());
            values[l] = Tensor.zeros(batch, capacity, cfg.nKvHeads(), cfg.dHead());
        }
    }

    /** Positions already cached. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    public int batch() {
        return batch;
    }

    /** Copies k, v [batch, pos, n_kv_heads, d_head] into layer {@code layer} after the cached positions. */
    void write(int layer, Tensor k, Tensor v) {
        int pos = k.size(1);
        if (k.size(0) != batch) throw new IllegalArgumentException("KV cache holds batch " + batch + ", got " + k.size(0));
        if (length + pos > capacity) {
            throw new IllegalArgumentException("KV cache full: " + length + " cached + " + pos + " new > capacity " + capacity);
        }
        for (int b = 0; b < batch; b++) {
            System.arraycopy(k.data(), b * pos * width, keys[layer].data(), (b * capacity + length) * width, pos * width);
            System.arraycopy(v.data(), b * pos * width, values[layer].data(), (b * capacity + length) * width, pos * width);
        }
    }

    Tensor keys(int layer) {
        return keys[layer];
    }

    Tensor values(int layer) {
        return values[layer];
    }

    void advance(int pos) {
        length += pos;
    }
}
