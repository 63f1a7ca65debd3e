package dev.loupe.model.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.loupe.core.Tensor;
import dev.loupe.model.format.SafeTensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resolving model strings against local paths and a fake Hugging Face cache, with the network off. */
class ModelSourceTest {
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path tmp;

    private ModelSource offline() {
        return new ModelSource(new HfHubCache(tmp.resolve("hub")), null);
    }

    /** Lays out {@code models--org--tiny} as huggingface_hub would, with refs/{ref} → COMMIT. */
    private Path cacheModel(String ref, boolean withWeights) throws Exception {
        Path repo = tmp.resolve("hub/models--org--tiny");
        Path snap = repo.resolve("snapshots").resolve(COMMIT);
        Files.createDirectories(snap);
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs").resolve(ref), COMMIT);
        Files.writeString(snap.resolve("config.json"), "{\"model_type\": \"llama\"}");
        if (withWeights) new SafeTensorsWriter().add("w", Tensor.scalar(1)).write(snap.resolve("model.safetensors"));
        return snap;
    }

    @Test
    void existingPathsAreUsedAsTheyAre() throws Exception {
        Path bin = Files.writeString(tmp.resolve("m.bin"), "x");
        assertEquals(bin, offline().resolve(bin.toString()));
        assertEquals(tmp, offline().resolve(tmp.toString()));
    }

    @Test
    void cachedModelsResolveToTheirSnapshot() throws Exception {
        Path snap = cacheModel("main", true);
        assertEquals(snap, offline().resolve("org/tiny"));
        assertEquals(snap, offline().resolve("org/tiny@" + COMMIT));
    }

    @Test
    void revisionsResolveThroughTheirRef() throws Exception {
        Path snap = cacheModel("v1.0", true);
        assertEquals(snap, offline().resolve("org/tiny@v1.0"));
        assertThrows(ModelSourceException.class, () -> offline().resolve("org/tiny"));
    }

    @Test
    void missingModelGivesTheOfflineError() {
        ModelSourceException e = assertThrows(ModelSourceException.class, () -> offline().resolve("gpt2"));
        assertEquals("model 'gpt2' is not a local path and not in the Hugging Face cache at " + tmp.resolve("hub")
                + "; connect to the network or pass a folder", e.getMessage());
    }

    @Test
    void incompleteSnapshotsDoNotCount() throws Exception {
        cacheModel("main", false);
        assertThrows(ModelSourceException.class, () -> offline().resolve("org/tiny"));
    }

    @Test
    void missingPathsAreNotTakenForHubIds() {
        ModelSourceException e = assertThrows(ModelSourceException.class, () -> offline().resolve("./models/nope.bin"));
        assertEquals("model './models/nope.bin': no such file or folder", e.getMessage());
    }

    @Test
    void environmentChoosesTheCacheLikeHuggingfaceHub() {
        assertEquals(Path.of("/x/hub-cache"), ModelSource.fromEnvironment(Map.of("HF_HUB_CACHE", "/x/hub-cache", "HF_HOME", "/y"), System.err).cache().root());
        assertEquals(Path.of("/y", "hub"), ModelSource.fromEnvironment(Map.of("HF_HOME", "/y"), System.err).cache().root());
        assertEquals(Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub"),
                ModelSource.fromEnvironment(Map.of("HF_HUB_OFFLINE", "1"), System.err).cache().root());
    }

    @Test
    void hubOfflineVariableDisablesDownloads() {
        Map<String, String> env = Map.of("HF_HUB_CACHE", tmp.resolve("hub").toString(), "HF_HUB_OFFLINE", "1",
                "HF_ENDPOINT", "http://127.0.0.1:9");
        ModelSourceException e = assertThrows(ModelSourceException.class, () -> ModelSource.fromEnvironment(env, System.err).resolve("gpt2"));
        assertEquals("model 'gpt2' is not a local path and not in the Hugging Face cache at " + tmp.resolve("hub")
                + "; connect to the network or pass a folder", e.getMessage());
    }
}
