package dev.loupe.activations;

import dev.loupe.model.format.DType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes collected-kind stores of made-up rows (activation values derived from the row id) for tests. */
final class SyntheticStore {
    private SyntheticStore() {}

    static StoreManifest write(Path dir, int shards, int rowsPerShard, int d) throws IOException {
        List<StoreManifest.Hook> hooks = List.of(new StoreManifest.Hook("blocks.0.hook_resid_post", d));
        StoreLayout layout = StoreLayout.of(hooks, DType.F32);
        StoreManifest m = new StoreManifest(ShardFile.FORMAT, StoreManifest.COLLECTED, "synthetic", hooks, "f32", 16, rowsPerShard, 0,
                RowHash.hex(0), false, List.of(), null, null, null, null);
        List<StoreManifest.Shard> written = new ArrayList<>();
        RowBlock block = new RowBlock(layout, rowsPerShard);
        float[] x = new float[rowsPerShard * d];
        for (int s = 0; s < shards; s++) {
            block.clear();
            for (int r = 0; r < rowsPerShard; r++) {
                long row = (long) s * rowsPerShard + r;
                for (int j = 0; j < d; j++) x[r * d + j] = (float) Math.sin(row * 0.37 + j);
                IntCodec.putInt(block.column(1), 4 * r, (int) (row % 512));
                IntCodec.putInt(block.column(2), 4 * r, (int) (row / 100));
                IntCodec.putInt(block.column(3), 4 * r, (int) (row % 100));
                IntCodec.putLong(block.column(4), 8 * r, row);
            }
            FloatCodec.encode(DType.F32, x, 0, x.length, block.column(0), 0);
            block.rows(rowsPerShard);
            written.add(ShardFile.write(dir.resolve(StoreManifest.shardName(s)), block));
        }
        for (StoreManifest.Shard sh : written) m = m.withShard(sh, null);
        m = m.completed();
        m.write(dir);
        return m;
    }

    /** The {@code row} column of every row of a store, in store order. */
    static long[] rowIds(Path dir) throws IOException {
        StoreManifest m = StoreManifest.read(dir);
        long[] ids = new long[(int) m.rows()];
        int at = 0;
        try (ActivationReader r = ActivationReader.open(dir, new ActivationReader.Options(4096, 1, null, 2))) {
            for (ActivationReader.Batch b : r) for (long id : b.row()) ids[at++] = id;
        }
        return ids;
    }
}
