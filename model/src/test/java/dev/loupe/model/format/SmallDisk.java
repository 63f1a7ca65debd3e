package dev.loupe.model.format;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real small disk for full-disk tests: a tmpfs of a chosen size mounted on a folder, so writes fail with the
 * kernel's own ENOSPC ("No space left on device") exactly as on a full drive. It can be grown in place
 * ({@code mount -o remount,size=}) to show that a job stopped by a full disk resumes once space is freed.
 * Mounting needs root (CI and the development machines run tests as root); elsewhere the test is skipped
 * with a message saying why, never passed vacuously.
 */
public final class SmallDisk implements AutoCloseable {
    /** The tmpfs's allocation unit: files take whole pages. */
    public static final int PAGE = 4096;

    private final Path dir;

    private SmallDisk(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code bytes} (rounded up to pages by the kernel) on {@code dir}, creating the folder. */
    public static SmallDisk mount(Path dir, long bytes) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String out = run("mount", "-t", "tmpfs", "-o", "size=" + bytes + ",mode=0755", "tmpfs", dir.toString());
        Assumptions.assumeTrue(out == null, () -> "cannot mount a small tmpfs for the full-disk test (needs root): " + out);
        SmallDisk disk = new SmallDisk(dir);
        Files.write(dir.resolve(".ballast"), new byte[PAGE]); // a used page, so that leaving nothing free never means size=0 (unlimited)
        return disk;
    }

    /** The mounted folder. */
    public Path dir() {
        return dir;
    }

    /** Resizes the disk, keeping its files (to free space after a failure, or to fill it up). */
    public void resize(long bytes) throws IOException, InterruptedException {
        String out = run("mount", "-o", "remount,size=" + bytes, dir.toString());
        if (out != null) throw new IOException("resizing " + dir + ": " + out);
    }

    /** {@code bytes} rounded up to whole pages, the space a file of that size takes on this disk. */
    public static long pages(long bytes) {
        return (bytes + PAGE - 1) / PAGE * PAGE;
    }

    /** Bytes still free. */
    public long free() throws IOException {
        return Files.getFileStore(dir).getUsableSpace();
    }

    /** Resizes the disk so that only {@code bytes} (rounded to pages) are free now. */
    public void leaveFree(long bytes) throws IOException, InterruptedException {
        long used = Files.getFileStore(dir).getTotalSpace() - free();
        resize(used + bytes);
    }

    /** A job that writes to the disk and may fail when it fills. */
    @FunctionalInterface
    public interface Job {
        void run() throws Exception;
    }

    /** What a test checks after each full-disk failure (that earlier outputs are intact, say). */
    @FunctionalInterface
    public interface Check {
        void check(Throwable failure) throws Exception;
    }

    /**
     * Runs {@code job} with {@code start} bytes free, and after each failure checks that it was the disk filling up
     * (the error says "No space left on device" or SQLite's "disk is full" and names a path on this disk), runs
     * {@code afterFailure}, grows the disk by {@code grow} bytes and runs the job again, until it succeeds. Returns
     * how many times the disk filled.
     */
    public int fillAndResume(long start, long grow, Job job, Check afterFailure) throws Exception {
        leaveFree(start);
        for (int failures = 0; ; failures++) {
            try {
                job.run();
                return failures;
            } catch (Exception | Error e) {
                if (e instanceof org.opentest4j.AssertionFailedError) throw e;
                String chain = messages(e);
                if (!chain.contains("No space left on device") && !chain.contains("disk is full")) {
                    throw new AssertionError("expected the disk to fill, got " + chain, e);
                }
                if (!chain.contains(dir.toString())) throw new AssertionError("the full-disk error does not name a path on " + dir + ": " + chain, e);
                afterFailure.check(e);
                if (failures > 50) throw new AssertionError("still failing after 50 resizes", e);
                resize(Files.getFileStore(dir).getTotalSpace() + grow);
            }
        }
    }

    /** The messages of {@code e} and its causes, joined. */
    public static String messages(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) b.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append(" <- ");
        return b.toString();
    }

    /**
     * Files a killed or failed writer left behind under {@code root}: temporaries ({@code .NAME.DIGITS.tmp}, with
     * any suffix such as SQLite's {@code -journal}) and SQLite journals.
     */
    public static List<Path> leftovers(Path root) throws IOException {
        List<Path> found = new ArrayList<>();
        if (!Files.exists(root)) return found;
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(p -> {
                String n = p.getFileName().toString();
                return n.matches(".*\\.tmp(-\\w+)?") || n.endsWith("-journal") || n.endsWith("-wal");
            }).forEach(found::add);
        }
        return found;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        String out = run("umount", "-l", dir.toString());
        if (out != null) throw new IOException("unmounting " + dir + ": " + out);
    }

    /** Runs a command; null when it succeeded, else its output. */
    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.getMessage();
        }
        String out = new String(p.getInputStream().readAllBytes());
        return p.waitFor() == 0 ? null : out.strip() + " (exit " + p.exitValue() + ")";
    }
}
