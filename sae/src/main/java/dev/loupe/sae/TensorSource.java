package dev.loupe.sae;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** Activation rows held in memory, served as random batches (sampled with replacement from a seeded {@link Rng}). */
public final class TensorSource implements ActivationSource {
    private final float[] data;
    private final int dIn, rows;
    private Rng rng;

    /** @param data [rows, dIn] row-major */
    public TensorSource(float[] data, int dIn, long seed) {
        if (data.length == 0 || data.length % dIn != 0) {
            throw new IllegalArgumentException("tensor source: " + data.length + " values are not whole rows of width " + dIn);
        }
        this.data = data;
        this.dIn = dIn;
        this.rows = data.length / dIn;
        this.rng = new Rng(seed);
    }

    @Override
    public int dIn() {
        return dIn;
    }

    @Override
    public void next(float[] out, int n) {
        for (int r = 0; r < n; r++) System.arraycopy(data, rng.nextInt(rows) * dIn, out, r * dIn, dIn);
    }

    @Override
    public void save(DataOutputStream out) throws IOException {
        out.writeLong(rng.state());
    }

    @Override
    public void restore(DataInputStream in) throws IOException {
        rng = new Rng(in.readLong());
    }
}
