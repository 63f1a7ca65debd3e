package dev.loupe.spark;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * A Spark standalone cluster on this machine: a master and N workers, each a separate JVM running Spark's
 * own {@code Master} and {@code Worker} main classes on this JVM's JDK, bound to 127.0.0.1. Workers launch
 * executors as further JVMs, as on a real cluster. For tests, benchmarks and trying {@code --master spark://}
 * without a cluster; {@link #close()} ends every process it started, executors included.
 */
public final class LoopbackCluster implements AutoCloseable {
    private static final String HOST = "127.0.0.1";
    private final Process master;
    private final List<Process> workers = new ArrayList<>();
    private final int port;
    private final Path logs;

    /**
     * Starts the cluster and waits until every worker has registered.
     *
     * @param sparkHome a Spark distribution's folder (its {@code jars/} holds Spark's jars)
     * @param workerMemory memory each worker offers its executors ({@code 1g})
     * @param dir folder for the processes' logs and the workers' work folders
     */
    public LoopbackCluster(Path sparkHome, int workers, String workerMemory, Path dir, int port) throws IOException, InterruptedException {
        Path jars = sparkHome.resolve("jars");
        if (!Files.isDirectory(jars)) throw new IllegalArgumentException(sparkHome + " is not a Spark home (no jars/ folder)");
        this.port = port > 0 ? port : freePort();
        this.logs = Files.createDirectories(dir);
        try {
            master = start(sparkHome, "master", List.of("org.apache.spark.deploy.master.Master", "--host", HOST, "--port", "" + this.port,
                    "--webui-port", "" + freePort()));
            for (int i = 0; i < workers; i++) {
                this.workers.add(start(sparkHome, "worker-" + i, List.of("org.apache.spark.deploy.worker.Worker", "--host", HOST, "--cores", "1",
                        "--memory", workerMemory, "--work-dir", Files.createDirectories(dir.resolve("work-" + i)).toString(),
                        "--webui-port", "" + freePort(), url())));
            }
            // Seconds on a quiet machine; minutes when many JVMs share two cores.
            for (int i = 0; i < workers; i++) awaitLog("worker-" + i, "Successfully registered with master", 600);
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The Spark home of this JVM's classpath: the folder above the jar holding Spark's classes. */
    public static Path sparkHome() {
        try {
            return Path.of(SparkConf.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent().getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The master's URL, {@code spark://127.0.0.1:PORT}. */
    public String url() {
        return "spark://" + HOST + ":" + port;
    }

    /** The worker JVMs, in start order. */
    public List<Process> workers() {
        return List.copyOf(workers);
    }

    /** The executor JVMs a worker has launched and that are still alive. */
    public static List<ProcessHandle> executors(Process worker) {
        return worker.descendants().filter(p -> p.isAlive() && p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend")).toList();
    }

    /** The executor with Spark id {@code id} (its {@code --executor-id}), if a worker runs it. */
    public Optional<ProcessHandle> executor(String id) {
        for (Process w : workers) {
            for (ProcessHandle e : executors(w)) {
                List<String> args = Arrays.asList(e.info().arguments().orElse(new String[0]));
                int at = args.indexOf("--executor-id");
                if (at >= 0 && at + 1 < args.size() && args.get(at + 1).equals(id)) return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    private Process start(Path sparkHome, String name, List<String> mainAndArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add("-Xmx256m");
        cmd.add("-Dspark.master.rest.enabled=false");
        cmd.addAll(Arrays.asList(JavaModuleOptions.defaultModuleOptionArray()));
        cmd.add("-cp");
        cmd.add(sparkHome.resolve("jars") + "/*");
        cmd.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logs.resolve(name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.13"); // what a distribution's bin/load-spark-env.sh sets; executors' launch needs it
        env.put("JAVA_HOME", System.getProperty("java.home")); // workers launch executors on this JDK
        env.put("SPARK_LOCAL_IP", HOST); // web UIs and services bind to loopback only
        env.put("SPARK_LOCAL_DIRS", Files.createDirectories(logs.resolve("local-" + name)).toString());
        return pb.start();
    }

    private void awaitLog(String name, String line, int seconds) throws IOException, InterruptedException {
        Path log = logs.resolve(name + ".log");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            if (Files.exists(log) && Files.readString(log).contains(line)) return;
            if (!master.isAlive()) throw new IOException("the Spark master exited; see " + logs.resolve("master.log"));
            Thread.sleep(200);
        }
        List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
        throw new IOException(name + " did not log '" + line + "' within " + seconds + " s; the end of " + log + ":\n"
                + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size())));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(HOST))) {
            return s.getLocalPort();
        }
    }

    /** Every live process of the cluster: the workers' executors (and their children), the workers, the master. */
    public List<ProcessHandle> processes() {
        List<ProcessHandle> all = new ArrayList<>();
        for (Process w : workers) all.addAll(w.descendants().toList());
        for (Process w : workers) all.add(w.toHandle());
        if (master != null) all.add(master.toHandle());
        return all;
    }

    /** Ends the workers' executors, the workers and the master (forcibly after 10 s), waiting for each. */
    @Override
    public void close() {
        List<ProcessHandle> all = processes();
        for (ProcessHandle p : all) p.destroy();
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        for (ProcessHandle p : all) p.onExit().join();
    }

    /** {@code ./loupe spark cluster}: runs a loopback cluster until this JVM is stopped. */
    static void main(Map<String, List<String>> o) throws Exception {
        int n = Integer.parseInt(SparkJob.one(o, "workers", "2"));
        Path dir = Files.createTempDirectory("loupe-cluster-");
        LoopbackCluster c = new LoopbackCluster(sparkHome(), n, SparkJob.one(o, "worker-memory", "1g"), dir,
                Integer.parseInt(SparkJob.one(o, "port", "0")));
        Runtime.getRuntime().addShutdownHook(new Thread(c::close));
        System.out.println(c.url());
        System.err.println("cluster: master and " + n + " workers at " + c.url() + " (logs in " + dir + "); stop with Ctrl-C");
        Thread.currentThread().join();
    }
}
