package dev.loupe.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.spark.SparkFiles;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Where executors find the model. Either the path as given (a shared file system), or the model's folder
 * shipped with the job: the driver zips it and adds it as a Spark archive, which every executor fetches
 * from the driver and unpacks into its work folder, so workers need no copy of the model.
 *
 * @param source the model as the driver loaded it (also what the manifest records)
 * @param archive the archive's name under {@link SparkFiles#getRootDirectory()} when shipped, else null
 * @param file where executors find the model: its absolute path on the shared file system; when shipped, the
 *     model file inside the unpacked folder, or null when the model is the folder itself
 */
record ModelRef(String source, String archive, String file) implements Serializable {
    /** The model at {@code model} (as {@code source} resolved), read at that path on every node (a shared file system). */
    static ModelRef shared(String source, Path model) {
        return new ModelRef(source, null, model.toAbsolutePath().toString());
    }

    /**
     * Ships the model at {@code model} (a folder, or a file whose folder also holds its tokenizer) to every
     * executor of {@code sc}. The folder's regular files are zipped (without compression: weights do not
     * compress) into {@code scratch}.
     */
    static ModelRef ship(JavaSparkContext sc, String source, Path model, Path scratch) throws IOException {
        Path abs = model.toAbsolutePath();
        boolean folder = Files.isDirectory(abs);
        Path dir = folder ? abs : abs.getParent();
        String name = "loupe-model-" + dir.getFileName();
        Path zip = scratch.resolve(name + ".zip");
        Files.createDirectories(scratch);
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        try (OutputStream os = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(os)) {
            z.setLevel(Deflater.NO_COMPRESSION);
            for (Path f : files) {
                z.putNextEntry(new ZipEntry(dir.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, z);
                z.closeEntry();
            }
        }
        sc.sc().addArchive(zip.toUri() + "#" + name);
        return new ModelRef(source, name, folder ? null : abs.getFileName().toString());
    }

    /** The model's path on this node: inside the unpacked archive when shipped, else the shared path. */
    String local() {
        if (archive == null) return file;
        Path dir = Path.of(SparkFiles.get(archive));
        return (file == null ? dir : dir.resolve(file)).toString();
    }
}
