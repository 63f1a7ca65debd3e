package dev.loupe.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.SmallDisk;
import dev.loupe.model.format.WeightStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Training (an SAE, a cross-layer or per-layer transcoder) killed with SIGKILL after a checkpoint and resumed ends bit-identical to an uninterrupted run. */
class ResumeTest {
    @TempDir
    Path dir;

    static float[] data() {
        Rng rng = new Rng(1);
        float[] x = new float[2000 * 16];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rng.nextGaussian() * (1 + i % 16 / 4.0));
        return x;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sae", "clt", "plt"})
    void killedAndResumedRunEqualsUninterruptedRun(String kind) throws Exception {
        assertEquals(0, run("-", dir.resolve("straight"), 0, kind).waitFor());
        Path ckpt = dir.resolve("train.ckpt");
        Process p = run(ckpt.toString(), dir.resolve("resumed"), 40, kind);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (checkpointStep(ckpt) < 30) {
            assertTrue(p.isAlive(), "child finished before it could be killed");
            assertTrue(System.nanoTime() < deadline, "no checkpoint within 60 s");
            Thread.sleep(20);
        }
        p.destroyForcibly().waitFor();
        long savedAt = checkpointStep(ckpt);
        assertTrue(savedAt >= 30 && savedAt < 120, "killed mid-run, checkpoint at step " + savedAt);
        assertEquals(0, run(ckpt.toString(), dir.resolve("resumed"), 0, kind).waitFor());
        assertEquals(List.of(), SmallDisk.leftovers(dir), "a killed writer's temporaries are cleaned by the rerun");
        if (!kind.equals("sae")) {
            var a = TranscoderWeights.of(CircuitTracerFormat.read(dir.resolve("straight")), "").parameters();
            var b = TranscoderWeights.of(CircuitTracerFormat.read(dir.resolve("resumed")), "").parameters();
            for (String name : a.keySet()) assertArrayEquals(a.get(name), b.get(name), name);
            return;
        }
        Sae a = SaeLensFormat.read(dir.resolve("straight")), b = SaeLensFormat.read(dir.resolve("resumed"));
        assertArrayEquals(a.wEnc().data(), b.wEnc().data());
        assertArrayEquals(a.bEnc().data(), b.bEnc().data());
        assertArrayEquals(a.wDec().data(), b.wDec().data());
        assertArrayEquals(a.bDec().data(), b.bDec().data());
    }

    @Test
    void corruptCheckpointIsRefusedClearly() throws Exception {
        Path ckpt = dir.resolve("c.ckpt");
        assertEquals(0, run(ckpt.toString(), dir.resolve("out"), 0, "sae").waitFor());
        byte[] bytes = Files.readAllBytes(ckpt);
        bytes[bytes.length - 100] ^= 0x55; // flip bits in the tensor data
        Files.write(ckpt, bytes);
        SaeConfig cfg = ResumeChild.CONFIG;
        TrainOptions opt = ResumeChild.options(ckpt).build();
        var e = assertThrows(IllegalArgumentException.class, () -> TrainCheckpoint.read(ckpt, blank(), opt, new TensorSource(data(), 16, 9)));
        assertTrue(e.getMessage().contains(ckpt.toString()) && e.getMessage().contains("checksum"), e.getMessage());
        Files.write(ckpt, new byte[] {1, 2, 3}, StandardOpenOption.TRUNCATE_EXISTING);
        e = assertThrows(IllegalArgumentException.class, () -> TrainCheckpoint.read(ckpt, blank(), opt, new TensorSource(data(), 16, 9)));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    private static TrainState blank() {
        return SaeTrainer.blank(SaeArchitectures.create(ResumeChild.CONFIG, new Rng(0), 0f));
    }

    @Test
    void resumingUnderOtherOptionsIsRefusedNamingTheField() throws Exception {
        Path ckpt = dir.resolve("o.ckpt");
        assertEquals(0, run(ckpt.toString(), dir.resolve("o"), 0, "sae").waitFor());
        TrainOptions.Builder same = ResumeChild.options(ckpt);
        same.checkpointEvery = 7; // where and how often checkpoints go is not a training option
        TrainCheckpoint.read(ckpt, blank(), same.build(), new TensorSource(data(), 16, 9));
        TrainOptions.Builder other = ResumeChild.options(ckpt);
        other.lr = 1e-3;
        var e = assertThrows(IllegalArgumentException.class, () -> TrainCheckpoint.read(ckpt, blank(), other.build(), new TensorSource(data(), 16, 9)));
        assertTrue(e.getMessage().contains(ckpt.toString()) && e.getMessage().contains("lr: the checkpoint has 4.0E-4, this run has 0.001"), e.getMessage());
        TrainOptions.Builder seed = ResumeChild.options(ckpt);
        seed.seed = 7;
        e = assertThrows(IllegalArgumentException.class, () -> TrainCheckpoint.read(ckpt, blank(), seed.build(), new TensorSource(data(), 16, 9)));
        assertTrue(e.getMessage().contains("seed: the checkpoint has 42, this run has 7"), e.getMessage());
    }

    @Test
    void resumingATranscoderUnderOtherOptionsOrAnotherSpecIsRefused() throws Exception {
        Path ckpt = dir.resolve("t.ckpt");
        ResumeChild.train("clt", ckpt, dir.resolve("t"), (s, st) -> {});
        TrainOptions.Builder other = ResumeChild.transcoderOptions(ckpt);
        other.coefficient = 0.02;
        var e = assertThrows(IllegalArgumentException.class,
                () -> new TranscoderTrainer(ResumeChild.spec("clt"), other.build(), new TensorSource(data(), 16, 9)).train());
        assertTrue(e.getMessage().contains(ckpt.toString()) && e.getMessage().contains("coefficient: the checkpoint has 0.01, this run has 0.02"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new TranscoderTrainer(ResumeChild.spec("plt"),
                ResumeChild.transcoderOptions(ckpt).build(), new TensorSource(data(), 16, 9)).train());
        assertTrue(e.getMessage().contains(ckpt.toString()) && e.getMessage().contains("different dictionary"), e.getMessage());
    }

    static long checkpointStep(Path ckpt) {
        if (!Files.exists(ckpt)) return -1;
        try (WeightStore ws = SafeTensors.open(ckpt)) {
            return Long.parseLong(ws.metadata().get("step"));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static Process run(String ckpt, Path out, long sleepMs, String kind) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                ResumeChild.class.getName(), ckpt, out.toString(), Long.toString(sleepMs), kind));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }
}
