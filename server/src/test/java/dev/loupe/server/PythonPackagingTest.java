package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python client installs the way researchers install things: {@code pip install} into a virtual environment and
 * {@code pip install --user}, offline (its build backend is in the repository), leaving nothing in the checkout.
 * Slow (creating a virtual environment with pip takes a minute on a busy machine).
 */
@Tag("slow")
class PythonPackagingTest {
    static final Path CLIENT = Path.of("clients/python").toAbsolutePath();

    static String run(Path dir, List<String> cmd, String... env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        for (int i = 0; i < env.length; i += 2) pb.environment().put(env[i], env[i + 1]);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + out);
        return out;
    }

    static List<String> checkoutFiles() throws Exception {
        try (var s = Files.walk(CLIENT)) {
            return s.map(CLIENT::relativize).map(Path::toString).filter(f -> !f.contains("__pycache__")).sorted().toList();
        }
    }

    @Test
    void installsInAVenvAndForTheUserLeavingNothingBehind(@TempDir Path tmp) throws Exception {
        String python = PythonClientTest.findPython();
        assumeTrue(python != null, "no python3 with numpy; skipping the packaging test");
        boolean pip = new ProcessBuilder(python, "-m", "pip", "--version").start().waitFor() == 0;
        boolean venv = new ProcessBuilder(python, "-c", "import venv, ensurepip").start().waitFor() == 0;
        assumeTrue(pip || venv, "no pip for " + python + " (apt-get install python3-pip python3-venv); skipping the packaging test");
        List<String> before = checkoutFiles();
        String check = "import loupe, loupe_trace; assert loupe.trace and loupe.__file__.find('clients/python') < 0, loupe.__file__; print('imported', loupe.__file__)";
        if (venv) {
            Path env = tmp.resolve("venv");
            run(tmp, List.of(python, "-m", "venv", "--system-site-packages", env.toString()));
            run(tmp, List.of(env.resolve("bin/pip").toString(), "install", "-q", "--no-deps", "--no-index", CLIENT.toString()));
            assertTrue(run(tmp, List.of(env.resolve("bin/python").toString(), "-c", check)).contains("imported " + env));
        }
        if (pip) {
            Path base = tmp.resolve("userbase");
            run(tmp, List.of(python, "-m", "pip", "install", "-q", "--user", "--no-deps", "--no-index", "--break-system-packages", CLIENT.toString()),
                    "PYTHONUSERBASE", base.toString());
            assertTrue(run(tmp, List.of(python, "-c", check), "PYTHONUSERBASE", base.toString()).contains("imported " + base));
        }
        assertEquals(before, checkoutFiles(), "the install left files in clients/python");
    }
}
