package dev.loupe.train;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.format.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The folders train-lm writes mean to Hugging Face what they mean to Loupe: an independent PyTorch
 * implementation of transformers' GPT-2 modules (train/src/test/python/hf_gpt2_reference.py, reading the
 * files with json + torch only) gives the same logits, for a model with MLPs and an attention-only one
 * (n_inner 0, zero-width MLPs). Skipped where python3 with torch is absent.
 */
class HfGpt2ReferenceTest {
    private static final Path SCRIPT = Path.of("train/src/test/python/hf_gpt2_reference.py");
    private static final String PYTHON = "/usr/bin/python3";

    @Test
    void mlpAndAttentionOnlyFoldersMatchAnIndependentHfGpt2(@TempDir Path dir) throws Exception {
        assumeTrue(torchAvailable(), "python3 with torch is not installed (apt-get install -y python3-torch); skipping");
        Path data = TinyCorpus.write(dir, 50);
        for (boolean attnOnly : new boolean[] {false, true}) {
            Path out = dir.resolve(attnOnly ? "attn-only" : "mlp");
            TrainLm.run(LmTrainerTest.options(data, out, attnOnly, 20 * 256, 1000), "test", LmTrainerTest.QUIET, null);
            LoadedModel m = ModelLoader.load(out.toString(), null);
            int[] ids = m.tokenizer().encode("Her sister finds the small boat. The cat likes a book.");
            float[] ours = m.transformer().forward(new int[][] {ids}).data();
            Process p = new ProcessBuilder(PYTHON, SCRIPT.toString(), out.toString(),
                    Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","))).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor() == 0, text);
            JsonNode ref = Json.MAPPER.readTree(text);
            double maxErr = 0, maxAbs = 0;
            int vocab = m.transformer().config().dVocab();
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < vocab; v++) {
                    double r = ref.get(t).get(v).asDouble();
                    maxErr = Math.max(maxErr, Math.abs(r - ours[t * vocab + v]));
                    maxAbs = Math.max(maxAbs, Math.abs(r));
                }
            }
            assertTrue(maxErr / maxAbs < 1e-5, (attnOnly ? "attention-only" : "mlp") + " model: relative error " + maxErr / maxAbs);
        }
    }

    private static boolean torchAvailable() {
        try {
            Process p = new ProcessBuilder(List.of(PYTHON, "-c", "import torch")).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0 && Files.exists(SCRIPT);
        } catch (Exception e) {
            return false;
        }
    }
}
