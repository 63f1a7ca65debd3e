package dev.loupe.activations;

import dev.loupe.model.format.JsonLines;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The documents of a text dataset, in a fixed order: a {@code .jsonl} file gives one document per non-blank
 * line (the string field {@code textField} of each JSON object; blank lines are skipped), any other file is
 * one plain-text document, and a folder is every non-hidden file under it in sorted path order. Document
 * indices count documents in that order from 0, so a row's {@code doc} leads back to its text. Text must be
 * valid UTF-8; a bad byte is an error naming the file, line and byte offset.
 */
public final class DocumentSource implements Closeable {
    /** One document: its index in the dataset and its text. */
    public record Document(long index, String text) {}

    private final Path root;
    private final List<Path> files;
    private final String textField;
    private final long totalBytes;
    private int fileIndex = -1;
    private InputStream in;
    private long line;
    private long byteOffset;
    private long bytesDone;
    private long nextIndex;
    private MessageDigest hashing;
    private long documents = -1;

    private DocumentSource(Path root, List<Path> files, String textField) throws IOException {
        this.root = root;
        this.files = files;
        this.textField = textField;
        long t = 0;
        for (Path f : files) t += Files.size(f);
        this.totalBytes = t;
    }

    public static DocumentSource open(Path path, String textField) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "no such dataset file or folder");
        List<Path> files;
        if (Files.isDirectory(path)) {
            try (Stream<Path> s = Files.walk(path)) {
                files = s.filter(Files::isRegularFile)
                        .filter(p -> !hidden(path.relativize(p)))
                        .sorted()
                        .toList();
            }
            if (files.isEmpty()) throw new IllegalArgumentException("dataset folder " + path + " holds no files");
        } else {
            files = List.of(path);
        }
        return new DocumentSource(path, files, textField);
    }

    private static boolean hidden(Path rel) {
        for (Path part : rel) if (part.toString().startsWith(".")) return true;
        return false;
    }

    /**
     * Reads the whole dataset once, checking every document (UTF-8, JSON, text field) before anything is
     * written, and returns its fingerprint: SHA-256 over every file's relative name, size and bytes.
     * Leaves this source at its start.
     */
    public String scan() throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (Path f : files) {
            String rel = Files.isDirectory(root) ? root.relativize(f).toString() : f.getFileName().toString();
            sha.update((rel + "\0" + Files.size(f) + "\0").getBytes(StandardCharsets.UTF_8));
        }
        hashing = sha;
        while (next() != null) {
            // every document is decoded and checked on the way
        }
        documents = nextIndex;
        hashing = null;
        rewind();
        return HexFormat.of().formatHex(sha.digest());
    }

    private void rewind() throws IOException {
        close();
        in = null;
        fileIndex = -1;
        bytesDone = 0;
        byteOffset = 0;
        nextIndex = 0;
    }

    /** Number of documents, known after {@link #scan()}. */
    public long documents() {
        if (documents < 0) throw new IllegalStateException("documents are counted by scan()");
        return documents;
    }

    /** Total size of the dataset's files in bytes. */
    public long totalBytes() {
        return totalBytes;
    }

    /** Bytes read so far (for progress). */
    public long bytesDone() {
        return bytesDone + byteOffset;
    }

    /** The next document, or null at the end of the dataset. */
    public Document next() throws IOException {
        while (true) {
            if (in == null && !openNext()) return null;
            Path f = files.get(fileIndex);
            if (!JsonLines.isJsonLines(f)) {
                byte[] all = in.readAllBytes();
                byteOffset += all.length;
                closeCurrent();
                return new Document(nextIndex++, decode(all, f, 0, 0));
            }
            long lineStart = byteOffset;
            byte[] raw = readLine();
            if (raw == null) {
                closeCurrent();
                continue;
            }
            line++;
            String text = decode(raw, f, line, lineStart);
            if (text.isBlank()) continue;
            return new Document(nextIndex++, field(text, f));
        }
    }

    /** Skips documents until the next one returned has index {@code index}. */
    public void skipTo(long index) throws IOException {
        while (nextIndex < index) {
            if (next() == null) throw new IllegalStateException("dataset has fewer than " + index + " documents; has it changed?");
        }
    }

    private String field(String json, Path f) {
        return JsonLines.text(JsonLines.object(f, line, json), f, line, textField);
    }

    private static String decode(byte[] raw, Path f, long line, long fileOffset) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer b = ByteBuffer.wrap(raw);
        try {
            return dec.decode(b).toString();
        } catch (CharacterCodingException e) {
            long at = fileOffset + b.position();
            throw new IllegalArgumentException(f + (line > 0 ? ":" + line : "") + ": invalid UTF-8 near byte offset " + at
                    + " of the file; datasets must be UTF-8 text");
        }
    }

    private byte[] readLine() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        int b;
        boolean any = false;
        while ((b = in.read()) >= 0) {
            byteOffset++;
            any = true;
            if (b == '\n') break;
            out.write(b);
        }
        if (!any) return null;
        return out.toByteArray();
    }

    private boolean openNext() throws IOException {
        if (fileIndex + 1 >= files.size()) return false;
        fileIndex++;
        InputStream raw = Files.newInputStream(files.get(fileIndex));
        if (hashing != null) raw = new java.security.DigestInputStream(raw, hashing);
        in = new BufferedInputStream(raw, 1 << 16);
        line = 0;
        byteOffset = 0;
        return true;
    }

    private void closeCurrent() throws IOException {
        bytesDone += Files.size(files.get(fileIndex));
        byteOffset = 0;
        in.close();
        in = null;
    }

    @Override
    public void close() throws IOException {
        if (in != null) in.close();
    }
}
