package dev.loupe.sae;

import dev.loupe.model.format.DType;
import dev.loupe.model.format.RunFingerprint;
import dev.loupe.model.format.TrainingCheckpoint;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training checkpoint of an SAE or transcoder, in Loupe's one training-checkpoint format ({@link TrainingCheckpoint}:
 * safetensors, written atomically, every tensor checksummed and verified on read): the parameters, both Adam moments,
 * the input scales, the dead-latent counters and the activation source's saved position, with step, token count,
 * Adam step, RNG state, the dictionary's config and the training options in its metadata.
 */
final class TrainCheckpoint {
    static final String FORMAT = "loupe-sae-checkpoint/3";

    private TrainCheckpoint() {}

    /** Writes {@code opt}'s checkpoint when one is due: every {@code checkpointEvery} steps and after the last. */
    static void writeIfDue(TrainState st, TrainOptions opt, ActivationSource source) throws IOException {
        if (opt.checkpoint() != null && (st.step % opt.checkpointEvery() == 0 || st.step == opt.steps())) write(opt.checkpoint(), st, opt, source);
    }

    static void write(Path file, TrainState st, TrainOptions opt, ActivationSource source) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            source.save(out);
        }
        byte[] sourceState = bytes.toByteArray();
        long[] src = new long[sourceState.length];
        for (int i = 0; i < src.length; i++) src[i] = sourceState[i] & 0xff;
        TrainingCheckpoint.Writer w = new TrainingCheckpoint.Writer(FORMAT);
        arrays(st).forEach(w::floats);
        w.longs("last_fired", DType.I64, st.lastFired)
                .longs("source_state", DType.U8, src)
                .metadata("step", Long.toString(st.step))
                .metadata("tokens", Long.toString(st.tokens))
                .metadata("adam_steps", Long.toString(st.adam.steps()))
                .metadata("rng_state", Long.toString(st.rngState))
                .metadata("config", st.config)
                .metadata("options", settings(opt))
                .write(file);
    }

    /**
     * The state saved in {@code file}, loaded into {@code blank} (a state of the same dictionary, whose config
     * the saved one must equal, trained under the same options {@code opt}: a changed one is named);
     * {@code source} is moved to the saved position.
     */
    static TrainState read(Path file, TrainState blank, TrainOptions opt, ActivationSource source) throws IOException {
        try (TrainingCheckpoint ckpt = TrainingCheckpoint.open(file, FORMAT)) {
            Map<String, String> meta = ckpt.metadata();
            if (!blank.config.equals(meta.get("config"))) {
                throw new IllegalArgumentException("checkpoint " + file + " is for a different dictionary (" + meta.get("config") + ") than the one being trained ("
                        + blank.config + "); delete it or pass another checkpoint path");
            }
            String differs = RunFingerprint.firstDifference(meta.get("options"), settings(opt));
            if (differs != null) {
                throw new IllegalArgumentException("checkpoint " + file + " was written under other training options (" + differs
                        + "); resume with the same options, or delete it or pass another checkpoint path");
            }
            TrainState st = new TrainState(blank.config, blank.params, blank.adam, ckpt.number("step"), ckpt.number("tokens"),
                    blank.scales, blank.lastFired, ckpt.number("rng_state"));
            st.adam.restoreSteps(ckpt.number("adam_steps"));
            arrays(st).forEach(ckpt::read);
            long[] lastFired = ckpt.longs("last_fired");
            if (lastFired.length != st.lastFired.length) throw ckpt.corrupt("last_fired has " + lastFired.length + " values, expected " + st.lastFired.length);
            System.arraycopy(lastFired, 0, st.lastFired, 0, st.lastFired.length);
            long[] src = ckpt.longs("source_state");
            byte[] sourceState = new byte[src.length];
            for (int i = 0; i < src.length; i++) sourceState[i] = (byte) src[i];
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(sourceState))) {
                source.restore(in);
            } catch (IOException | RuntimeException e) {
                throw ckpt.corrupt("the activation source's saved position is unreadable (" + e.getMessage() + ")");
            }
            return st;
        }
    }

    /** The options that decide the trained weights (not where or how often checkpoints go, nor the progress bar). */
    static String settings(TrainOptions opt) {
        return new TrainOptions(opt.batchSize(), opt.steps(), opt.lr(), opt.schedule(), opt.coefficient(), opt.coefficientWarmupSteps(),
                opt.auxKCoefficient(), opt.kAux(), opt.deadAfterTokens(), opt.bandwidth(), opt.initialThreshold(), opt.bDecInit(),
                opt.normalize(), opt.seed(), null, 1, false).toString();
    }

    /** Parameters and Adam moments by checkpoint tensor name, live. */
    private static Map<String, float[]> arrays(TrainState st) {
        Map<String, float[]> out = new LinkedHashMap<>();
        st.params.forEach((k, v) -> out.put("param." + k, v));
        out.put("scales", st.scales);
        st.adam.firstMoments().forEach((k, v) -> out.put("adam.m." + k, v));
        st.adam.secondMoments().forEach((k, v) -> out.put("adam.v." + k, v));
        return out;
    }
}
