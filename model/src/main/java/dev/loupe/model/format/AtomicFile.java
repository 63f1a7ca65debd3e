package dev.loupe.model.format;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.regex.Pattern;

/**
 * Writes a file so that readers see either the old content or the complete new one, never a
 * partial file: content goes to a temporary file in the same folder, is fsynced, and is then
 * renamed over the target. A failed write leaves the target untouched and no temporary behind.
 */
public final class AtomicFile {
    /** Fills the temporary file; may throw to abandon the write. */
    @FunctionalInterface
    public interface Body {
        void write(FileChannel out) throws IOException;
    }

    private AtomicFile() {}

    public static void write(Path target, Body body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = temporary(abs);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                body.write(ch);
                ch.force(true);
            } catch (IOException e) {
                throw named(abs, e);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * A new empty temporary beside {@code target}, named {@code .NAME.DIGITS.tmp}. Temporaries of the same target
     * that a killed writer left behind (with any suffix a library adds to them, such as SQLite's
     * {@code -journal}) are deleted first, so a rerun cleans up after a killed run.
     */
    public static Path temporary(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        String prefix = "." + abs.getFileName() + ".";
        Pattern stale = Pattern.compile(Pattern.quote(prefix) + "\\d+\\.tmp(-\\w+)?");
        try (DirectoryStream<Path> old = Files.newDirectoryStream(dir, p -> stale.matcher(p.getFileName().toString()).matches())) {
            for (Path p : old) Files.deleteIfExists(p);
        }
        try {
            return Files.createTempFile(dir, prefix, ".tmp");
        } catch (IOException e) {
            throw named(abs, e);
        }
    }

    /**
     * A write error that names the file: the JDK's "No space left on device" does not say which disk filled up.
     */
    public static IOException named(Path file, IOException e) {
        String msg = String.valueOf(e.getMessage());
        if (e.getClass() != IOException.class || msg.contains(file.toString())) return e; // a specific error already says what it is
        return new IOException(file + ": " + msg, e);
    }

    /** Makes the rename durable where the platform allows opening a directory (Linux, macOS). */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Best effort only: Windows cannot open directories; the rename itself already happened.
        }
    }
}
