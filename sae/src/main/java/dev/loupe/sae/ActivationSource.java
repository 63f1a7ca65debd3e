package dev.loupe.sae;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Where SAE training reads from: an endless supply of activation batches, float rows of width
 * {@link #dIn()}. A source's position (what it has produced, any shuffling buffer and random state) can be
 * saved into a training checkpoint and restored, so a resumed run sees exactly the batches an
 * uninterrupted run would have seen.
 *
 * <p>Implementations: {@link LiveModelSource} (runs the model over text through a mixing buffer),
 * {@link TensorSource} (rows in memory, for tests and small experiments), and {@link StoreSource} (a store
 * written by {@code loupe collect} and shuffled by {@code loupe shuffle}).
 */
public interface ActivationSource {
    /** Row width. */
    int dIn();

    /** Fills {@code out} with {@code rows} rows (row-major) and advances. */
    void next(float[] out, int rows) throws IOException;

    /** Writes the position and any random state, for {@link #restore}. */
    void save(DataOutputStream out) throws IOException;

    /** Returns to a position written by {@link #save} on a source built the same way. */
    void restore(DataInputStream in) throws IOException;
}
