package dev.loupe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every resumable job run onto a disk that fills up (a small tmpfs; skipped where this process cannot mount one):
 * it fails naming the path, and once the disk has room the same command finishes, with no temporary files left
 * behind (issue 15, items 6 and 7). The kill -9 tests of the same jobs are KillResumeTest (collect, shuffle),
 * ResumeTest (sae train) and ResumeAfterKillTest (train-lm); AtomicFileTest shows a rerun cleans what a killed
 * writer (sae features' SQLite database included) left.
 */
class FullDiskTest {
    static final String MODEL = "../shared/models/stories260K/stories260K.bin";

    @TempDir
    Path tmp;
    String data;

    @org.junit.jupiter.api.BeforeEach
    void smallCorpus() throws IOException {
        Path brown = Path.of("../shared/data/brown.jsonl");
        assumeTrue(Files.exists(brown) && Files.exists(Path.of(MODEL)), "needs ../shared");
        Path small = tmp.resolve("small.jsonl");
        try (Stream<String> lines = Files.lines(brown)) {
            Files.write(small, lines.limit(150).toList());
        }
        data = small.toString();
    }

    /** A tmpfs of a given size at a folder; grows on demand, unmounted on close. */
    record SmallDisk(Path dir) implements AutoCloseable {
        static SmallDisk mount(Path dir, String size) throws Exception {
            Files.createDirectories(dir);
            Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString()).redirectErrorStream(true).start();
            assumeTrue(p.waitFor() == 0, "cannot mount a tmpfs here (needs root): " + new String(p.getInputStream().readAllBytes()));
            return new SmallDisk(dir);
        }

        void grow(String size) throws Exception {
            assertEquals(0, new ProcessBuilder("mount", "-o", "remount,size=" + size, dir.toString()).inheritIO().start().waitFor());
        }

        @Override
        public void close() throws Exception {
            new ProcessBuilder("umount", "-l", dir.toString()).inheritIO().start().waitFor();
        }
    }

    private static void assertNoTemporaries(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> left = s.filter(p -> p.getFileName().toString().contains(".tmp")).toList();
            assertEquals(List.of(), left, "temporary files left behind");
        }
    }

    /** Runs a command that must fail for want of space, naming where. */
    private static void failsForSpace(Path where, String... args) {
        CliRunner r = CliRunner.run(args);
        assertTrue(r.exitCode() != 0, "should fail on a full disk: " + r.err());
        assertTrue(r.err().contains(where.toString()), "the error names the path: " + r.err());
        assertTrue(r.err().contains("No space left on device") || r.err().contains("disk is full") || r.err().contains("SQLITE_FULL"), r.err());
    }

    private static void succeeds(String... args) {
        CliRunner r = CliRunner.run(args);
        assertEquals(0, r.exitCode(), r.err());
    }

    private String[] collect(Path out) {
        return new String[] {"collect", "--model", MODEL, "--dataset", data, "--hook", "blocks.2.hook_resid_post", "--context", "64",
                "--max-tokens", "20000", "--shard-mb", "1", "--out", out.toString()};
    }

    @Test
    void collectAndShuffleOntoAFullDiskFailNamingThePathAndFinishOnceThereIsRoom() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(tmp.resolve("disk"), "2m")) {
            Path store = disk.dir().resolve("store");
            failsForSpace(disk.dir(), collect(store));
            disk.grow("64m");
            succeeds(collect(store));
            succeeds("verify", store.toString());
            assertNoTemporaries(store);
            try (SmallDisk out = SmallDisk.mount(tmp.resolve("out"), "3m")) {
                Path shuffled = out.dir().resolve("shuffled");
                String[] shuffle = {"shuffle", "--in", store.toString(), "--out", shuffled.toString(), "--memory", "2M", "--seed", "3"};
                failsForSpace(out.dir(), shuffle);
                out.grow("64m");
                succeeds(shuffle);
                succeeds("verify", shuffled.toString());
                assertNoTemporaries(shuffled);
            }
        }
    }

    @Test
    void saeTrainingCheckpointsAndFeaturesOntoAFullDisk() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(tmp.resolve("disk"), "200k")) {
            Path ckpt = disk.dir().resolve("sae.ckpt"), sae = tmp.resolve("sae");
            String[] train = {"sae", "train", "--model", MODEL, "--hook", "blocks.2.hook_resid_post", "--data", data, "--d-sae", "256", "--k", "8",
                    "--steps", "30", "--batch", "256", "--buffer", "1024", "--context", "64", "--checkpoint", ckpt.toString(), "--every", "10",
                    "--out", sae.toString()};
            failsForSpace(ckpt, train);
            disk.grow("64m");
            succeeds(train);
            assertNoTemporaries(disk.dir());
            disk.grow("300k");
            Path db = disk.dir().resolve("features.db");
            String[] features = {"sae", "features", "--model", MODEL, "--sae", sae.toString(), "--data", data, "--batches", "2", "--batch-size", "4",
                    "--context", "64", "--out", db.toString()};
            Files.writeString(disk.dir().resolve("filler"), "x".repeat(150_000)); // leave too little room for the database
            failsForSpace(db, features);
            Files.delete(disk.dir().resolve("filler"));
            disk.grow("64m");
            succeeds(features);
            assertNoTemporaries(disk.dir());
        }
    }

    @Test
    void trainLmOntoAFullDisk() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(tmp.resolve("disk"), "100k")) {
            Path out = disk.dir().resolve("lm");
            String[] train = {"train-lm", "--dataset", data, "--tokenizer", "train:300", "--layers", "1", "--d-model", "32", "--heads", "2",
                    "--context", "32", "--tokens", "20k", "--batch", "4", "--checkpoint-every", "20", "--out", out.toString()};
            failsForSpace(disk.dir(), train);
            disk.grow("64m");
            succeeds(train);
            assertNoTemporaries(out);
        }
    }
}
