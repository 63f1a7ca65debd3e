package dev.loupe.spark;

import dev.loupe.activations.StoreManifest;
import java.io.Serializable;

/** A shard an executor wrote, sent back to the driver (manifest records are not serializable). */
record ShardResult(String file, int rows, String sha256, String digest) implements Serializable {
    static ShardResult of(StoreManifest.Shard s) {
        return new ShardResult(s.file(), s.rows(), s.sha256(), s.digest());
    }

    StoreManifest.Shard shard() {
        return new StoreManifest.Shard(file, rows, sha256, digest);
    }
}
