package dev.loupe.activations;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts {@link StoreJobMain} in a separate JVM (to kill it with -9, or to measure its peak RSS). */
final class ChildJvm {
    private ChildJvm() {}

    static Process start(String xmx, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + xmx);
        cmd.add("-XX:+UseSerialGC");
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(StoreJobMain.class.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
