package dev.loupe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.format.SmallDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exact resume: a training run in a child JVM is killed (SIGKILL, no chance to clean up) after it wrote a
 * checkpoint and before it finished; running the same training again continues from the checkpoint and
 * ends with a model.safetensors identical byte for byte to an uninterrupted run's.
 */
class ResumeAfterKillTest {
    static final int STEPS = 120;

    static TrainLm.Options options(Path data, Path out) {
        return LmTrainerTest.options(data, out, false, STEPS * 256, 10);
    }

    @Test
    void killedRunResumesToTheSameWeights(@TempDir Path dir) throws Exception {
        Path data = TinyCorpus.write(dir, 100);
        Path straight = dir.resolve("straight"), resumed = dir.resolve("resumed");

        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process child = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                TrainLmMain.class.getName(), data.toString(), resumed.toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        Path ckpt = resumed.resolve(LmTrainer.CHECKPOINT);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(ckpt) && child.isAlive() && System.nanoTime() < deadline) Thread.sleep(10);
        child.destroyForcibly().waitFor();
        assertTrue(Files.exists(ckpt), () -> "the child wrote no checkpoint: " + readLog(dir));
        assertFalse(Files.exists(resumed.resolve(LmTrainer.RECORD)), "the child was killed before finishing");

        LmTrainer.Result r = TrainLm.run(options(data, resumed), "test", LmTrainerTest.QUIET, null);
        assertTrue(r.resumedFrom() > 0 && r.resumedFrom() < STEPS, "resumed from step " + r.resumedFrom());
        TrainLm.run(options(data, straight), "test", LmTrainerTest.QUIET, null);
        assertArrayEquals(Files.readAllBytes(straight.resolve("model.safetensors")), Files.readAllBytes(resumed.resolve("model.safetensors")));
        assertArrayEquals(lossCurve(straight), lossCurve(resumed), "the loss curve survives the kill too");
        assertEquals(List.of(), SmallDisk.leftovers(resumed), "the rerun cleaned the killed run's temporaries");
        assertFalse(Files.exists(ckpt), "the finished run removed its checkpoint");
    }

    private static byte[] lossCurve(Path out) throws Exception {
        String s = Files.readString(out.resolve(LmTrainer.RECORD));
        return s.substring(s.indexOf("\"loss_curve\"")).getBytes();
    }

    private static String readLog(Path dir) {
        try {
            return Files.readString(dir.resolve("child.log"));
        } catch (Exception e) {
            return e.toString();
        }
    }
}
