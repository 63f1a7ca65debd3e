package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * The web UI on Loupe's bundled default model (a byte-level BPE vocabulary, so any Ġ or Ċ leaking into the page
 * fails): the steering playground's defaults (contrastive pairs, BOS excluded, the default scale) change the greedy
 * continuation yet keep it text the unsteered model finds plausible, its mean log-probability per token above
 * {@value #MIN_MEAN_LOGPROB} nats (uniform guessing over the 2048-token vocabulary scores -7.6).
 */
class UiDefaultModelTest {
    static final String MODEL = "models/loupe-brown-2l-mlp";
    static final double MIN_MEAN_LOGPROB = -4.0;
    static TestServer ts;
    static Browser b;

    @BeforeAll
    static void start() throws Exception {
        LoadedModel m = ModelLoader.load(MODEL, null);
        ts = new TestServer(m, "loupe-brown", dev.loupe.server.api.Limits.DEFAULT, 32, 256, List.of());
        b = new Browser(ts.uri(), TestServer.KEY);
    }

    @AfterAll
    static void stop() {
        if (b != null) b.close();
        if (ts != null) ts.close();
    }

    /** Mean log-probability per token of {@code continuation} after {@code prompt} under the unsteered model. */
    static double meanLogProb(int[] prompt, int[] continuation) {
        int[] all = Arrays.copyOf(prompt, prompt.length + continuation.length);
        System.arraycopy(continuation, 0, all, prompt.length, continuation.length);
        Tensor logits = ts.model.transformer().forward(new int[][] {all});
        int vocab = logits.size(2);
        double sum = 0;
        for (int i = 0; i < continuation.length; i++) {
            int p = prompt.length + i - 1;
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int v = 0; v < vocab; v++) max = Math.max(max, logits.get(0, p, v));
            for (int v = 0; v < vocab; v++) z += Math.exp(logits.get(0, p, v) - max);
            sum += logits.get(0, p, continuation[i]) - max - Math.log(z);
        }
        return sum / continuation.length;
    }

    @Test
    void steeringDefaultsChangeTheStoryWithoutBreakingIt() throws Exception {
        b.tab("steer");
        b.driver.findElement(By.id("steer-run")).click();
        b.waitFor("document.getElementById('steer-plain').dataset.done === '1' && document.getElementById('steer-steered').dataset.done === '1'", "steer");
        b.shot("steering-defaults");
        int[] prompt = ts.model.tokens(b.driver.findElement(By.id("steer-prompt")).getAttribute("value"));
        int[] plain = ids(b.driver.findElement(By.id("steer-plain")).getAttribute("data-tokens"));
        int[] steered = ids(b.driver.findElement(By.id("steer-steered")).getAttribute("data-tokens"));
        assertNotEquals(Arrays.toString(plain), Arrays.toString(steered), "the default steering changed nothing");
        double lpPlain = meanLogProb(prompt, plain), lpSteered = meanLogProb(prompt, steered);
        String norms = b.driver.findElement(By.id("steer-norms")).getText();
        System.out.printf("steering defaults: unsteered %.3f, steered %.3f nats/token under the unsteered model; %s%n%s%n%s%n", lpPlain, lpSteered, norms,
                b.driver.findElement(By.id("steer-plain")).getText(), b.driver.findElement(By.id("steer-steered")).getText());
        assertTrue(lpSteered > MIN_MEAN_LOGPROB, "steered text is implausible to the unsteered model: " + lpSteered + " nats/token");
        double vnorm = Double.parseDouble(b.driver.findElement(By.id("steer-norms")).getAttribute("data-vector-norm"));
        double rnorm = Double.parseDouble(b.driver.findElement(By.id("steer-norms")).getAttribute("data-resid-norm"));
        assertTrue(vnorm > 0 && rnorm > 0 && norms.contains("mean residual norm"), norms);
        b.assertNoVocabularyPieces();
    }

    @Test
    void byteLevelTokensReadAsText() throws Exception {
        b.tab("attention");
        b.runAndWait("attention", "att-run");
        assertTrue(b.driver.findElements(By.cssSelector("#att-tokens .tok .ws")).size() > 3, "leading spaces are marked");
        b.assertNoVocabularyPieces();
        b.tab("lens");
        b.runAndWait("lens", "lens-run");
        b.assertNoVocabularyPieces();
        b.shot("default-model-lens");
    }

    private static int[] ids(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }
}
