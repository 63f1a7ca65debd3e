package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.generate.Generator;
import dev.loupe.model.generate.Sampling;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.server.client.LoupeClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;

/**
 * The web UI in headless Chromium against a live server on stories260K: hovering a token highlights exactly the
 * attention weights the API returns, the head grid switches heads, and the steering playground's two streams equal
 * in-process generation with and without the steering vector. Screenshots go to server/target/ui-screenshots/.
 * Skipped without Debian's chromium and chromium-driver.
 */
class UiBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SHOTS = Path.of("server/target/ui-screenshots");
    static TestServer ts;
    static ChromeDriver driver;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER), "no chromium/chromedriver (apt-get install chromium chromium-driver); skipping");
        Path saeDir = Files.createTempDirectory("loupe-ui-sae");
        TinySae.write(saeDir);
        ts = new TestServer(dev.loupe.server.api.Limits.DEFAULT, 32, 256, List.of("tiny=" + saeDir));
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toString());
        o.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1280,1000", "--user-data-dir=" + Files.createTempDirectory("loupe-chromium"));
        driver = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build(), o);
        Files.createDirectories(SHOTS);
        driver.get(ts.uri().resolve("/ui/").toString());
        WebElement key = driver.findElement(By.id("api-key"));
        key.sendKeys(TestServer.KEY);
        ((JavascriptExecutor) driver).executeScript("arguments[0].dispatchEvent(new Event('change'))", key);
        waitFor("document.body.dataset.ready === '1'", false); // the first load, before the key, fails with 401
        waitFor("document.getElementById('status').textContent === 'connected'", false);
    }

    @AfterAll
    static void stop() {
        if (driver != null) driver.quit();
        if (ts != null) ts.close();
    }

    static void waitFor(String js) throws InterruptedException {
        waitFor(js, true);
    }

    static void waitFor(String js, boolean failOnUiError) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JavascriptExecutor d = driver;
        while (!Boolean.TRUE.equals(d.executeScript("return " + js))) {
            Object err = d.executeScript("return document.getElementById('status').className === 'error' ? document.getElementById('status').textContent : null");
            if (err != null && failOnUiError) throw new AssertionError("UI error: " + err);
            if (System.nanoTime() > end) throw new AssertionError("timed out waiting for " + js);
            Thread.sleep(50);
        }
    }

    static void shot(String name) throws Exception {
        Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    static void select(String id, String value) {
        ((JavascriptExecutor) driver).executeScript("const s = document.getElementById(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change'))", id, value);
    }

    static void tab(String name) {
        driver.findElement(By.cssSelector("nav button[data-tab='" + name + "']")).click();
    }

    @Test
    void hoveringATokenShowsTheApisAttention() throws Exception {
        tab("attention");
        String prompt = driver.findElement(By.id("att-prompt")).getAttribute("value");
        select("att-layer", "1");
        select("att-head", "2");
        driver.findElement(By.id("att-run")).click();
        waitFor("document.getElementById('attention').dataset.ready === '1'");
        ObjectNode r = LoupeClient.request().put("prompt", prompt);
        r.putArray("cache").add("blocks.1.attn.hook_pattern");
        Tensor pattern = ts.client.run(r).get("blocks.1.attn.hook_pattern"); // [heads, q, k]
        List<WebElement> tokens = driver.findElements(By.cssSelector("#att-tokens .tok"));
        int n = pattern.size(1);
        assertEquals(n, tokens.size());
        int hovered = 6;
        new Actions(driver).moveToElement(tokens.get(hovered)).perform();
        checkHighlights(tokens, pattern, 2, hovered);
        shot("attention-hover");

        driver.findElement(By.cssSelector("#att-grid figure[data-head='5']")).click();
        new Actions(driver).moveToElement(tokens.get(3)).perform();
        checkHighlights(tokens, pattern, 5, 3);
        assertEquals(8, driver.findElements(By.cssSelector("#att-grid canvas")).size());
        assertTrue(driver.findElement(By.id("att-detail")).getText().startsWith("L1H5"));
        shot("attention-grid");
    }

    private static void checkHighlights(List<WebElement> tokens, Tensor pattern, int head, int q) {
        int n = pattern.size(1);
        for (int j = 0; j < n; j++) {
            float to = j <= q ? pattern.get(head, q, j) : 0f;
            float from = j >= q ? pattern.get(head, j, q) : 0f;
            assertEquals(to, Float.parseFloat(tokens.get(j).getAttribute("data-attn-to")), "head " + head + ": token " + q + " attends to " + j);
            assertEquals(from, Float.parseFloat(tokens.get(j).getAttribute("data-attn-from")), "head " + head + ": token " + j + " attends to " + q);
        }
        assertTrue(tokens.get(q).getAttribute("class").contains("focus"));
    }

    @Test
    void steeringPlaygroundMatchesInProcessGeneration() throws Exception {
        tab("steer");
        driver.findElement(By.id("steer-max")).clear();
        driver.findElement(By.id("steer-max")).sendKeys("24");
        String hook = "blocks.2.hook_resid_post";
        select("steer-hook", hook);
        driver.findElement(By.id("steer-run")).click();
        waitFor("document.getElementById('steer-plain').dataset.done === '1' && document.getElementById('steer-steered').dataset.done === '1'");
        shot("steering");
        int[] plain = ids(driver.findElement(By.id("steer-plain")).getAttribute("data-tokens"));
        int[] steered = ids(driver.findElement(By.id("steer-steered")).getAttribute("data-tokens"));

        HookedTransformer m = ts.model.transformer();
        int[] prompt = ts.model.tokens("Once upon a time");
        Generator gen = new Generator(m);
        int[] want = gen.generate(new int[][] {prompt}, 24, Sampling.GREEDY, ts.model.tokenizer().eosId(), Hooks.none(m.hooks()), null)[0];
        assertArrayEquals(want, plain);
        float[] plus = mean(hook, "happy smile laugh fun"), minus = mean(hook, "sad cry angry");
        float[] v = new float[plus.length];
        for (int i = 0; i < v.length; i++) v[i] = plus[i] - minus[i];
        Hooks steer = ts.interventions("[{\"hook\": \"" + hook + "\", \"op\": \"add\", \"scale\": 2, \"vector\": " + Arrays.toString(v) + "}]").build();
        int[] wantSteered = gen.generate(new int[][] {prompt}, 24, Sampling.GREEDY, ts.model.tokenizer().eosId(), steer, null)[0];
        assertArrayEquals(wantSteered, steered);
        assertNotEquals(Arrays.toString(plain), Arrays.toString(steered), "steering changed nothing");
        assertTrue(driver.findElement(By.id("steer-steered")).getText().startsWith("Once upon a time"));
    }

    private static float[] mean(String hook, String text) throws Exception {
        ObjectNode r = LoupeClient.request().put("prompt", text);
        r.putArray("cache").addObject().put("hook", hook).put("reduce", "mean").put("as", "m");
        return ts.client.run(r).get("m").data();
    }

    private static int[] ids(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    @Test
    void featureDashboardAndFeatureHeatmap() throws Exception {
        tab("features");
        select("feat-sae", "tiny");
        JsonNode top = ts.client.get("/v1/saes/tiny/features");
        int id = top.get("features").get(0).get("id").asInt();
        driver.findElement(By.id("feat-id")).clear();
        driver.findElement(By.id("feat-id")).sendKeys(Integer.toString(id));
        driver.findElement(By.id("feat-run")).click();
        waitFor("document.getElementById('features').dataset.ready === '1'");
        JsonNode f = ts.client.get("/v1/saes/tiny/features/" + id);
        List<WebElement> examples = driver.findElements(By.cssSelector("#feat-examples .example"));
        assertEquals(f.get("examples").size(), examples.size());
        JsonNode first = f.get("examples").get(0);
        List<WebElement> toks = examples.get(0).findElements(By.cssSelector(".tok"));
        assertEquals(first.get("tokens").size(), toks.size());
        int center = first.get("center").asInt();
        assertEquals(first.get("acts").get(center).floatValue(), Float.parseFloat(toks.get(center).getAttribute("data-act")));
        assertTrue(toks.get(center).getAttribute("class").contains("focus"));
        assertEquals(3, driver.findElements(By.cssSelector("#feat-pos li")).size());
        assertTrue(driver.findElements(By.cssSelector("#feat-top li")).size() > 0);
        shot("feature-dashboard");

        tab("heatmap");
        select("heat-hook", "sae:tiny");
        driver.findElement(By.id("heat-neuron")).clear();
        driver.findElement(By.id("heat-neuron")).sendKeys(Integer.toString(id));
        ((JavascriptExecutor) driver).executeScript("document.getElementById('heatmap').dataset.ready = ''");
        driver.findElement(By.id("heat-run")).click();
        waitFor("document.getElementById('heatmap').dataset.ready === '1'");
        ObjectNode r = LoupeClient.request().put("sae", "tiny").put("prompt", driver.findElement(By.id("heat-prompt")).getAttribute("value"));
        r.putArray("features").add(id);
        Tensor acts = ts.client.run(r, "/v1/sae/encode").get("acts");
        List<WebElement> heat = driver.findElements(By.cssSelector("#heat-tokens .tok"));
        for (int p = 0; p < heat.size(); p++) assertEquals(acts.get(p, 0), Float.parseFloat(heat.get(p).getAttribute("data-value")), "token " + p);
        shot("feature-heatmap");
    }

    @Test
    void logitLensAndHeatmapRender() throws Exception {
        tab("lens");
        driver.findElement(By.id("lens-run")).click();
        waitFor("document.getElementById('lens').dataset.ready === '1'");
        int layers = ts.model.transformer().config().nLayers();
        assertEquals(layers + 2, driver.findElements(By.cssSelector("#lens-table tr")).size());
        shot("logit-lens");
        tab("heatmap");
        select("heat-hook", "blocks.0.mlp.hook_post");
        ((JavascriptExecutor) driver).executeScript("document.getElementById('heatmap').dataset.ready = ''");
        driver.findElement(By.id("heat-neuron")).clear();
        driver.findElement(By.id("heat-neuron")).sendKeys("3");
        driver.findElement(By.id("heat-run")).click();
        waitFor("document.getElementById('heatmap').dataset.ready === '1'");
        List<WebElement> toks = driver.findElements(By.cssSelector("#heat-tokens .tok"));
        ObjectNode r = LoupeClient.request().put("prompt", driver.findElement(By.id("heat-prompt")).getAttribute("value"));
        r.putArray("cache").add("blocks.0.mlp.hook_post");
        Tensor post = ts.client.run(r).get("blocks.0.mlp.hook_post");
        for (int p = 0; p < toks.size(); p++) assertEquals(post.get(p, 3), Float.parseFloat(toks.get(p).getAttribute("data-value")), "token " + p);
        shot("heatmap");
    }
}
