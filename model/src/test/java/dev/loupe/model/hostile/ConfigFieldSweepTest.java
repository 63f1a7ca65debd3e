package dev.loupe.model.hostile;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.SharedModels;
import dev.loupe.model.format.Json;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every numeric field of each shared test model's config.json set to each hostile value, beside the model's real
 * weights: the load either succeeds or is refused with an {@link IllegalArgumentException} (a config or shape error)
 * or an {@link IOException} (a format error), and allocates at most {@value #MAX_ALLOCATED_MIB} MiB on the way. The
 * fuzzer found four fields that did otherwise (a rotary table or a per-layer list sized from a 10^9, a division by a
 * zero period); this sweeps all of them.
 */
class ConfigFieldSweepTest {
    private static final long MAX_ALLOCATED_MIB = 256;
    private static final String[] HOSTILE = {"1000000000", "2147483647", "-1", "0", "1e30", "65536", "131072"};

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"stories260K-hf", "gpt2-tiny-random", "pythia-tiny-random", "gemma2-tiny-random",
            "gemma3-tiny-random", "qwen3-tiny-random", "mistral-tiny-random"})
    void hostileValuesAreLoadedOrRefusedWithoutLargeAllocations(String model) throws IOException {
        Path src = SharedModels.path(model);
        ObjectNode base = (ObjectNode) Json.MAPPER.readTree(src.resolve("config.json").toFile());
        List<String> fields = new ArrayList<>();
        base.properties().forEach(e -> {
            if (e.getValue().isNumber()) fields.add(e.getKey());
        });
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        for (String field : fields) {
            for (String value : HOSTILE) {
                ObjectNode cfg = base.deepCopy();
                JsonNode v = Json.MAPPER.readTree(value);
                cfg.set(field, v);
                Path dir = Files.createTempDirectory(tmp, field);
                Files.writeString(dir.resolve("config.json"), cfg.toString());
                Files.createSymbolicLink(dir.resolve("model.safetensors"), src.resolve("model.safetensors").toAbsolutePath());
                String what = model + " " + field + "=" + value;
                long before = threads.getThreadAllocatedBytes(thread);
                try {
                    ModelLoader.load(dir.toString(), null);
                } catch (IllegalArgumentException | IOException expected) {
                    // refused: what every hostile value may end in
                } catch (RuntimeException | Error e) {
                    throw new AssertionError(what + " ended in " + e, e);
                }
                long mib = (threads.getThreadAllocatedBytes(thread) - before) >> 20;
                assertTrue(mib <= MAX_ALLOCATED_MIB, () -> what + " allocated " + mib + " MiB before it was loaded or refused");
            }
        }
    }
}
