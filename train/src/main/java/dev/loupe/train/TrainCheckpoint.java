package dev.loupe.train;

import dev.loupe.core.Tensor;
import dev.loupe.model.format.RunFingerprint;
import dev.loupe.model.format.TrainingCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Everything a language-model training run needs to continue bit-exactly, in Loupe's one training-checkpoint format
 * ({@link TrainingCheckpoint}: safetensors, written atomically, every tensor checksummed and verified on read): the
 * parameters ({@code param.NAME}), AdamW moments ({@code adam_m.NAME}, {@code adam_v.NAME}) and, as metadata, the
 * step, the run's fingerprint (its settings; resuming under other settings is refused) and the caller's own state
 * (e.g. the loss log so far). The data position and every random choice are functions of (seed, step).
 */
public final class TrainCheckpoint {
    static final String FORMAT = "loupe-lm-checkpoint/1", STEP = "step", FINGERPRINT = "fingerprint";

    private TrainCheckpoint() {}

    public static void save(Path file, long step, String fingerprint, Map<String, String> state, Map<String, Tensor> params, AdamW opt)
            throws IOException {
        TrainingCheckpoint.Writer w = new TrainingCheckpoint.Writer(FORMAT);
        state.forEach(w::metadata);
        w.metadata(STEP, Long.toString(step)).metadata(FINGERPRINT, fingerprint);
        params.forEach((name, p) -> w.floats("param." + name, p.data(), p.shape())
                .floats("adam_m." + name, opt.firstMoments().get(name), p.shape())
                .floats("adam_v." + name, opt.secondMoments().get(name), p.shape()));
        w.write(file);
    }

    /** What a checkpoint restored: the next step to run and the caller's state. */
    public record Restored(long step, Map<String, String> state) {}

    /**
     * Loads {@code file} into {@code params} and {@code opt} (in place), or returns null when it does not exist.
     * A checkpoint of a different run (another fingerprint) is an error naming both.
     */
    public static Restored load(Path file, String fingerprint, Map<String, Tensor> params, AdamW opt) throws IOException {
        if (!Files.exists(file)) return null;
        try (TrainingCheckpoint ckpt = TrainingCheckpoint.open(file, FORMAT)) {
            String differs = RunFingerprint.firstDifference(ckpt.metadata().get(FINGERPRINT), fingerprint);
            if (differs != null) {
                throw new IllegalArgumentException(file + " belongs to another run (" + differs + "); resume with the same settings,"
                        + " or use another --out folder or delete the checkpoint");
            }
            params.forEach((name, p) -> {
                ckpt.read("param." + name, p.data());
                ckpt.read("adam_m." + name, opt.firstMoments().get(name));
                ckpt.read("adam_v." + name, opt.secondMoments().get(name));
            });
            long step = ckpt.number(STEP);
            opt.restoreSteps(step);
            return new Restored(step, ckpt.metadata());
        }
    }
}
