package dev.loupe.model;

import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.Attention;
import java.util.Arrays;

/**
 * Keys and values of past positions for incremental decoding, per layer [batch, slots, n_kv_heads, d_head]
 * (keys after rotary). A global layer holds every position up to the capacity; a sliding-window layer whose
 * window is shorter than the capacity holds only its last {@code window} positions, in a ring (position p in
 * slot p mod window), since no later query can see an older key. A forward with a cache appends its positions
 * and advances {@link #length()}.
 */
public final class KvCache {
    private final int batch;
    private final int capacity;
    private final int width;
    private final int kvHeads;
    private final int headDim;
    private final int[] slots;
    private final Tensor[] keys;
    private final Tensor[] values;
    /** A windowed layer's visible keys and values laid out in position order, reused across layers and calls. */
    private float[] spanKeys = new float[0], spanValues = new float[0];
    private int length;

    /**
     * The keys and values a forward's queries see: [batch, keyCapacity, n_kv_heads, d_head], of which the first
     * {@code count} positions are valid, the last of them the forward's own.
     */
    record Span(Tensor keys, Tensor values, int count, int keyCapacity) {}

    public KvCache(TransformerConfig cfg, int batch, int capacity) {
        this.batch = batch;
        this.capacity = capacity;
        this.kvHeads = cfg.nKvHeads();
        this.headDim = cfg.dHead();
        this.width = kvHeads * headDim;
        slots = new int[cfg.nLayers()];
        keys = new Tensor[cfg.nLayers()];
        values = new Tensor[cfg.nLayers()];
        for (int l = 0; l < cfg.nLayers(); l++) {
            int window = cfg.attention(l).window();
            slots[l] = window > 0 && window < capacity ? window : capacity;
            keys[l] = Tensor.zeros(batch, slots[l], kvHeads, headDim);
            values[l] = Tensor.zeros(batch, slots[l], kvHeads, headDim);
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

    /** Positions layer {@code layer} holds: the capacity, or the window of a sliding-window layer shorter than it. */
    public int positionsHeld(int layer) {
        return slots[layer];
    }

    /**
     * Appends k, v [batch, pos, n_kv_heads, d_head] to layer {@code layer} after the cached positions and returns the
     * keys and values its queries see. A global layer's are the cache itself. A windowed layer's are the positions
     * from the first one any of the new queries sees, rounded down to {@link Attention#KEY_BLOCK} (to 0 when
     * {@code fromZero}, so that a hook on the scores or pattern sees absolute key positions), copied in order
     * with zeros before that first visible one (masked, as in a full cache, so the attention has the same bits).
     */
    Span append(int layer, Tensor k, Tensor v, boolean fromZero) {
        int pos = k.size(1);
        if (k.size(0) != batch) throw new IllegalArgumentException("KV cache holds batch " + batch + ", got " + k.size(0));
        if (length + pos > capacity) {
            throw new IllegalArgumentException("KV cache full: " + length + " cached + " + pos + " new > capacity " + capacity);
        }
        int ring = slots[layer];
        if (ring == capacity) {
            for (int b = 0; b < batch; b++) {
                System.arraycopy(k.data(), b * pos * width, keys[layer].data(), (b * capacity + length) * width, pos * width);
                System.arraycopy(v.data(), b * pos * width, values[layer].data(), (b * capacity + length) * width, pos * width);
            }
            return new Span(keys[layer], values[layer], length + pos, capacity);
        }
        int firstSeen = Math.max(0, length + 1 - ring);
        int first = fromZero ? 0 : firstSeen / Attention.KEY_BLOCK * Attention.KEY_BLOCK;
        int span = length + pos - first;
        if (spanKeys.length < batch * span * width) {
            spanKeys = new float[batch * span * width];
            spanValues = new float[batch * span * width];
        }
        int spanCapacity = spanKeys.length / (batch * width);
        for (int b = 0; b < batch; b++) {
            int row = b * spanCapacity;
            gather(keys[layer].data(), k.data(), spanKeys, b, row, first, firstSeen, pos, ring);
            gather(values[layer].data(), v.data(), spanValues, b, row, first, firstSeen, pos, ring);
            for (int i = Math.max(0, pos - ring); i < pos; i++) { // the new positions overwrite the oldest slots
                int slot = (b * ring + (length + i) % ring) * width;
                System.arraycopy(k.data(), (b * pos + i) * width, keys[layer].data(), slot, width);
                System.arraycopy(v.data(), (b * pos + i) * width, values[layer].data(), slot, width);
            }
        }
        return new Span(Tensor.of(spanKeys, batch, spanCapacity, kvHeads, headDim),
                Tensor.of(spanValues, batch, spanCapacity, kvHeads, headDim), span, spanCapacity);
    }

    /** Row b of a windowed span: zeros for [first, firstSeen), the ring's [firstSeen, length), then the new positions. */
    private void gather(float[] ringData, float[] fresh, float[] out, int b, int row, int first, int firstSeen, int pos, int ring) {
        Arrays.fill(out, row * width, (row + firstSeen - first) * width, 0f);
        for (int p = firstSeen; p < length; p++) {
            System.arraycopy(ringData, (b * ring + p % ring) * width, out, (row + p - first) * width, width);
        }
        System.arraycopy(fresh, b * pos * width, out, (row + length - first) * width, pos * width);
    }

    void advance(int pos) {
        length += pos;
    }
}
