package dev.loupe.train;

import dev.loupe.core.Tensor;
import dev.loupe.model.format.RunFingerprint;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.model.format.WeightStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Everything a training run needs to continue bit-exactly, in one safetensors file written atomically:
 * the parameters ({@code param.NAME}), AdamW moments ({@code adam_m.NAME}, {@code adam_v.NAME}) and, as
 * metadata, the step, the run's fingerprint (its settings; resuming under other settings is refused) and
 * the caller's own state (e.g. the loss log so far). The data position and every random choice are functions of (seed, step).
 */
public final class TrainCheckpoint {
    static final String STEP = "step", FINGERPRINT = "fingerprint";

    private TrainCheckpoint() {}

    public static void save(Path file, long step, String fingerprint, Map<String, String> state, Map<String, Tensor> params, AdamW opt)
            throws IOException {
        SafeTensorsWriter w = new SafeTensorsWriter();
        state.forEach(w::metadata);
        w.metadata(STEP, Long.toString(step)).metadata(FINGERPRINT, fingerprint);
        params.forEach((name, p) -> {
            w.add("param." + name, p);
            w.add("adam_m." + name, Tensor.of(opt.firstMoments().get(name), p.shape()));
            w.add("adam_v." + name, Tensor.of(opt.secondMoments().get(name), p.shape()));
        });
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
        try (WeightStore st = SafeTensors.open(file)) {
            String theirs = st.metadata().get(FINGERPRINT);
            String differs = RunFingerprint.firstDifference(theirs, fingerprint);
            if (differs != null) {
                throw new IllegalArgumentException(file + " belongs to another run (" + differs + "); resume with the same settings,"
                        + " or use another --out folder or delete the checkpoint");
            }
            params.forEach((name, p) -> {
                copy(st.tensor("param." + name), p.data(), file, name);
                copy(st.tensor("adam_m." + name), opt.firstMoments().get(name), file, name);
                copy(st.tensor("adam_v." + name), opt.secondMoments().get(name), file, name);
            });
            long step = Long.parseLong(st.metadata().get(STEP));
            opt.restoreSteps(step);
            return new Restored(step, st.metadata());
        }
    }

    private static void copy(Tensor from, float[] to, Path file, String name) {
        if (from.numel() != to.length) throw new IllegalArgumentException(file + ": '" + name + "' has " + from.numel() + " values, expected " + to.length);
        System.arraycopy(from.data(), 0, to, 0, to.length);
    }
}
