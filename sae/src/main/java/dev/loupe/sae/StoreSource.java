package dev.loupe.sae;

import dev.loupe.activations.ActivationReader;
import dev.loupe.activations.StoreManifest;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;

/**
 * Activation batches from a store written by {@code loupe collect} (and, for training, globally shuffled by
 * {@code loupe shuffle}): the rows of one hook, or of several hooks side by side (a transcoder's MLP inputs and
 * outputs, which the store keeps row-aligned), read in store order and cycled for as many epochs as training
 * needs. Its position is the number of rows handed out; restoring reopens the store and skips that many rows,
 * so a resumed run sees the same batches.
 */
public final class StoreSource implements ActivationSource, AutoCloseable {
    private static final int READ_BATCH = 4096;

    private final Path dir;
    private final List<String> hooks;
    private final int[] widths;
    private final int dIn;
    private ActivationReader reader;
    private Iterator<ActivationReader.Batch> batches;
    private float[] pending = new float[0];
    private int pendingAt;
    private long consumed;

    public StoreSource(Path dir, String hook) throws IOException {
        this(dir, List.of(hook));
    }

    /** Rows of {@code hooks} side by side, in the given order. */
    public StoreSource(Path dir, List<String> hooks) throws IOException {
        this.dir = dir;
        this.hooks = List.copyOf(hooks);
        StoreManifest m = StoreManifest.read(dir);
        this.widths = new int[hooks.size()];
        int total = 0;
        for (int h = 0; h < widths.length; h++) {
            String hook = hooks.get(h);
            widths[h] = m.hooks().stream().filter(x -> x.name().equals(hook)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(dir + ": the store holds no activations for '" + hook + "'; it has "
                            + m.hooks().stream().map(StoreManifest.Hook::name).toList()))
                    .d();
            total += widths[h];
        }
        this.dIn = total;
        open();
    }

    private void open() throws IOException {
        if (reader != null) reader.close();
        reader = ActivationReader.open(dir, new ActivationReader.Options(READ_BATCH, Integer.MAX_VALUE, null, 2));
        batches = reader.iterator();
        pending = new float[0];
        pendingAt = 0;
    }

    /** The hooks whose activations this source reads, in row order. */
    public List<String> hooks() {
        return hooks;
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
                pending = sideBySide(batches.next());
                pendingAt = 0;
            }
            int take = Math.min((rows - filled) * dIn, pending.length - pendingAt);
            System.arraycopy(pending, pendingAt, out, filled * dIn, take);
            pendingAt += take;
            filled += take / dIn;
        }
        consumed += rows;
    }

    private float[] sideBySide(ActivationReader.Batch batch) {
        if (hooks.size() == 1) return batch.activations(hooks.get(0)).data();
        float[][] parts = new float[hooks.size()][];
        for (int h = 0; h < parts.length; h++) parts[h] = batch.activations(hooks.get(h)).data();
        int rows = parts[0].length / widths[0];
        float[] out = new float[rows * dIn];
        for (int r = 0, o = 0; r < rows; r++) {
            for (int h = 0; h < parts.length; h++) {
                System.arraycopy(parts[h], r * widths[h], out, o, widths[h]);
                o += widths[h];
            }
        }
        return out;
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
