package dev.loupe.sae;

import dev.loupe.activations.ActivationReader;
import dev.loupe.activations.StoreManifest;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * Activation batches from a store written by {@code loupe collect} (and, for training, globally shuffled by
 * {@code loupe shuffle}): the rows of one hook, read in store order and cycled for as many epochs as
 * training needs. Its position is the number of rows handed out; restoring reopens the store and skips
 * that many rows, so a resumed run sees the same batches.
 */
public final class StoreSource implements ActivationSource, AutoCloseable {
    private static final int READ_BATCH = 4096;

    private final Path dir;
    private final String hook;
    private final int dIn;
    private ActivationReader reader;
    private Iterator<ActivationReader.Batch> batches;
    private float[] pending = new float[0];
    private int pendingAt;
    private long consumed;

    public StoreSource(Path dir, String hook) throws IOException {
        this.dir = dir;
        this.hook = hook;
        StoreManifest m = StoreManifest.read(dir);
        this.dIn = m.hooks().stream().filter(h -> h.name().equals(hook)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(dir + ": the store holds no activations for '" + hook + "'; it has "
                        + m.hooks().stream().map(StoreManifest.Hook::name).toList()))
                .d();
        open();
    }

    private void open() throws IOException {
        if (reader != null) reader.close();
        reader = ActivationReader.open(dir, new ActivationReader.Options(READ_BATCH, Integer.MAX_VALUE, null, 2));
        batches = reader.iterator();
        pending = new float[0];
        pendingAt = 0;
    }

    /** The hook whose activations this source reads. */
    public String hook() {
        return hook;
    }

    @Override
    public int dIn() {
        return dIn;
    }

    @Override
    public void next(float[] out, int rows) {
        int filled = 0;
        while (filled < rows) {
            if (pendingAt == pending.length) {
                pending = batches.next().activations(hook).data();
                pendingAt = 0;
            }
            int take = Math.min((rows - filled) * dIn, pending.length - pendingAt);
            System.arraycopy(pending, pendingAt, out, filled * dIn, take);
            pendingAt += take;
            filled += take / dIn;
        }
        consumed += rows;
    }

    @Override
    public void save(DataOutputStream out) throws IOException {
        out.writeLong(consumed);
    }

    @Override
    public void restore(DataInputStream in) throws IOException {
        long target = in.readLong();
        open();
        consumed = 0;
        float[] skip = new float[READ_BATCH * dIn];
        while (consumed < target) next(skip, (int) Math.min(READ_BATCH, target - consumed));
    }

    @Override
    public void close() {
        reader.close();
    }
}
