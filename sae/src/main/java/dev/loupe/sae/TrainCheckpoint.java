package dev.loupe.sae;

import dev.loupe.core.Tensor;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.RunFingerprint;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.model.format.WeightStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A training checkpoint (SAEs and transcoders): one safetensors file (written atomically) holding the
 * parameters, both Adam moments, the input scales, the dead-latent counters and the activation source's saved
 * position, with step, token count, Adam step, RNG state, the dictionary's config and a CRC-32 of every value in
 * its metadata. Reading
 * verifies the checksum, so a truncated or corrupted file is refused with a clear error instead of
 * silently resuming from garbage.
 */
final class TrainCheckpoint {
    static final String FORMAT = "loupe-sae-checkpoint/2";

    private TrainCheckpoint() {}

    static void write(Path file, TrainState st, TrainOptions opt, ActivationSource source) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            source.save(out);
        }
        byte[] sourceState = bytes.toByteArray();
        Map<String, float[]> arrays = arrays(st);
        SafeTensorsWriter w = new SafeTensorsWriter();
        arrays.forEach((name, a) -> w.add(name, Tensor.of(a, a.length)));
        w.addLongs("last_fired", DType.I64, st.lastFired, st.lastFired.length);
        long[] src = new long[sourceState.length];
        for (int i = 0; i < src.length; i++) src[i] = sourceState[i] & 0xff;
        w.addLongs("source_state", DType.U8, src, src.length);
        w.metadata("format", FORMAT)
                .metadata("step", Long.toString(st.step))
                .metadata("tokens", Long.toString(st.tokens))
                .metadata("adam_steps", Long.toString(st.adam.steps))
                .metadata("rng_state", Long.toString(st.rngState))
                .metadata("config", st.config)
                .metadata("options", settings(opt))
                .metadata("crc32", Long.toString(checksum(arrays, st.lastFired, sourceState)));
        w.write(file);
    }

    /**
     * The state saved in {@code file}, loaded into {@code blank} (a state of the same dictionary, whose config
     * the saved one must equal, trained under the same options {@code opt}: a changed one is named);
     * {@code source} is moved to the saved position.
     */
    static TrainState read(Path file, TrainState blank, TrainOptions opt, ActivationSource source) throws IOException {
        try (WeightStore ws = SafeTensors.open(file)) {
            Map<String, String> meta = ws.metadata();
            if (!FORMAT.equals(meta.get("format"))) throw corrupt(file, "no '" + FORMAT + "' format tag", null);
            if (!blank.config.equals(meta.get("config"))) {
                throw new IllegalArgumentException("checkpoint " + file + " is for a different dictionary (" + meta.get("config") + ") than the one being trained ("
                        + blank.config + "); delete it or pass another checkpoint path");
            }
            String differs = RunFingerprint.firstDifference(meta.get("options"), settings(opt));
            if (differs != null) {
                throw new IllegalArgumentException("checkpoint " + file + " was written under other training options (" + differs
                        + "); resume with the same options, or delete it or pass another checkpoint path");
            }
            TrainState st = new TrainState(blank.config, blank.params, blank.adam, Long.parseLong(meta.get("step")), Long.parseLong(meta.get("tokens")),
                    blank.scales, blank.lastFired, Long.parseLong(meta.get("rng_state")));
            st.adam.steps = Long.parseLong(meta.get("adam_steps"));
            Map<String, float[]> arrays = arrays(st);
            for (var e : arrays.entrySet()) {
                if (!ws.contains(e.getKey())) throw corrupt(file, "missing tensor " + e.getKey(), null);
                float[] v = ws.tensor(e.getKey()).data();
                if (v.length != e.getValue().length) throw corrupt(file, e.getKey() + " has " + v.length + " values, expected " + e.getValue().length, null);
                System.arraycopy(v, 0, e.getValue(), 0, v.length);
            }
            long[] lastFired = ws.longs("last_fired");
            System.arraycopy(lastFired, 0, st.lastFired, 0, st.lastFired.length);
            long[] src = ws.longs("source_state");
            byte[] sourceState = new byte[src.length];
            for (int i = 0; i < src.length; i++) sourceState[i] = (byte) src[i];
            long crc = checksum(arrays, st.lastFired, sourceState);
            if (!Long.toString(crc).equals(meta.get("crc32"))) throw corrupt(file, "checksum mismatch (stored " + meta.get("crc32") + ", computed " + crc + ")", null);
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(sourceState))) {
                source.restore(in);
            }
            return st;
        } catch (IllegalArgumentException | IllegalStateException | IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("checkpoint ")) throw e;
            throw corrupt(file, e.getMessage(), e);
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
        st.adam.m.forEach((k, v) -> out.put("adam.m." + k, v));
        st.adam.v.forEach((k, v) -> out.put("adam.v." + k, v));
        return out;
    }

    private static long checksum(Map<String, float[]> arrays, long[] lastFired, byte[] sourceState) {
        CRC32 crc = new CRC32();
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 16);
        for (String name : arrays.keySet().stream().sorted().toList()) {
            crc.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (float f : arrays.get(name)) {
                if (buf.remaining() < 8) flush(crc, buf);
                buf.putFloat(f);
            }
        }
        for (long v : lastFired) {
            if (buf.remaining() < 8) flush(crc, buf);
            buf.putLong(v);
        }
        flush(crc, buf);
        crc.update(sourceState);
        return crc.getValue();
    }

    private static void flush(CRC32 crc, java.nio.ByteBuffer buf) {
        crc.update(buf.array(), 0, buf.position());
        buf.clear();
    }

    private static IllegalArgumentException corrupt(Path file, String why, Throwable cause) {
        return new IllegalArgumentException("checkpoint " + file + " is corrupt or not a Loupe SAE checkpoint: " + why
                + "; delete it to start over", cause);
    }
}
