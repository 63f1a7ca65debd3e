package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.model.tokenizer.TokenText;
import dev.loupe.server.client.LoupeClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;

/**
 * Every view of the web UI in headless Chromium against a live server on stories260K (a SentencePiece vocabulary, so
 * any ▁ leaking into the page fails): the full attention pattern with token labels on both axes and a colour legend,
 * whose cells are exactly the API's weights; hover both ways (a token lights its row and column and the tokens it
 * attends to and from; a cell lights its query and key tokens); heads switch at once from the thumbnail grid; logit
 * lens with top-5 on hover and a legend; heatmaps with legends and values; per-tab status lines that show an error
 * and clear on success; the features view: features on a text, search, dashboard with histogram axes and density,
 * and steering from a feature. Screenshots go to server/target/ui-screenshots/.
 */
class UiBrowserTest {
    static TestServer ts;
    static Browser b;

    @BeforeAll
    static void start() throws Exception {
        Path saeDir = Files.createTempDirectory("loupe-ui-sae");
        TinySae.write(saeDir);
        ts = new TestServer(dev.loupe.server.api.Limits.DEFAULT, 32, 256, List.of("tiny=" + saeDir));
        b = new Browser(ts.uri(), TestServer.KEY);
    }

    @AfterAll
    static void stop() {
        if (b != null) b.close();
        if (ts != null) ts.close();
    }

    private static Tensor pattern(String prompt, int layer) throws Exception {
        ObjectNode r = LoupeClient.request().put("prompt", prompt);
        r.putArray("cache").add("blocks." + layer + ".attn.hook_pattern");
        return ts.client.run(r).get("blocks." + layer + ".attn.hook_pattern"); // [heads, q, k]
    }

    /** The visible form of each token of {@code prompt}, as the UI marks whitespace. */
    private static List<String> visibleTokens(String prompt) {
        List<String> out = new ArrayList<>();
        for (int id : ts.model.tokens(prompt)) out.add(TokenText.visible(ts.model.tokenizer().tokenText(id)));
        return out;
    }

    /** The canvas pixel at the centre of pattern cell (q, k) is the colour scale at the API's weight. */
    private static void checkCell(Tensor pattern, int head, int q, int k) {
        @SuppressWarnings("unchecked")
        List<Long> px = (List<Long>) b.js("""
                const c = document.getElementById('att-cells'), cs = Number(document.getElementById('att-pattern').dataset.cell);
                return Array.from(c.getContext('2d').getImageData(arguments[1] * cs + cs / 2, arguments[0] * cs + cs / 2, 1, 1).data);""", q, k);
        float v = k <= q ? pattern.get(head, q, k) : 0f;
        @SuppressWarnings("unchecked")
        List<Long> want = (List<Long>) b.js("return window.loupeUi.blue(arguments[0])", v);
        for (int i = 0; i < 3; i++) assertEquals(want.get(i), px.get(i), 1.0, "head " + head + " cell (" + q + ", " + k + ") channel " + i + " for weight " + v);
    }

    @Test
    void attentionPatternWithAxesLegendHoverBothWaysAndInstantHeads() throws Exception {
        b.tab("attention");
        String prompt = b.driver.findElement(By.id("att-prompt")).getAttribute("value");
        b.select("att-layer", "1");
        b.select("att-head", "2");
        b.runAndWait("attention", "att-run");
        Tensor pattern = pattern(prompt, 1);
        int n = pattern.size(1);
        List<WebElement> tokens = b.driver.findElements(By.cssSelector("#att-tokens .tok"));
        assertEquals(n, tokens.size());
        List<String> want = visibleTokens(prompt);
        List<String> shown = tokens.stream().map(WebElement::getText).toList();
        assertEquals(want, shown, "tokens read as decoded text with whitespace marked");
        assertEquals("id " + ts.model.tokens(prompt)[3], tokens.get(3).getAttribute("title"), "raw id on hover");
        // the full pattern: n key labels on top, n query labels on the left, n x n cells
        assertEquals(want, b.driver.findElements(By.cssSelector("#att-pattern .keys > span")).stream().map(e -> e.getAttribute("textContent")).toList());
        assertEquals(want, b.driver.findElements(By.cssSelector("#att-pattern .queries > span")).stream().map(e -> e.getAttribute("textContent")).toList());
        assertEquals(String.valueOf(n), b.driver.findElement(By.id("att-pattern")).getAttribute("data-n"));
        for (int[] c : new int[][] {{0, 0}, {5, 2}, {n - 1, n - 2}, {n - 1, 0}, {3, 7}}) checkCell(pattern, 2, c[0], c[1]);
        List<String> ticks = b.driver.findElements(By.cssSelector("#att-legend .ticks span")).stream().map(WebElement::getText).toList();
        assertEquals(List.of("1.00", "0.75", "0.50", "0.25", "0.00"), ticks);

        int hovered = 6;
        new Actions(b.driver).moveToElement(tokens.get(hovered)).perform();
        checkHighlights(tokens, pattern, 2, hovered);
        assertEquals(String.valueOf(hovered), b.driver.findElement(By.id("att-pattern")).getAttribute("data-focus-row"));
        assertEquals(String.valueOf(hovered), b.driver.findElement(By.id("att-pattern")).getAttribute("data-focus-col"));
        b.shot("attention-hover-token");

        // hover a cell: its query and key tokens light up in the text, with the weight
        WebElement cells = b.driver.findElement(By.id("att-cells"));
        int cs = Integer.parseInt(b.driver.findElement(By.id("att-pattern")).getAttribute("data-cell"));
        int q = 8, k = 3;
        new Actions(b.driver).moveToElement(cells, k * cs + cs / 2 - cells.getSize().width / 2, q * cs + cs / 2 - cells.getSize().height / 2).perform();
        assertTrue(tokens.get(q).getAttribute("class").contains("q-focus"), tokens.get(q).getAttribute("class"));
        assertTrue(tokens.get(k).getAttribute("class").contains("k-focus"));
        assertEquals(q + "," + k, b.driver.findElement(By.id("att-detail")).getAttribute("data-cell"));
        assertTrue(b.driver.findElement(By.id("att-detail")).getText().endsWith(String.format("%.3f", pattern.get(2, q, k))));
        b.shot("attention-hover-cell");

        // a thumbnail switches head without a request
        b.driver.findElement(By.cssSelector("#att-grid figure[data-head='5']")).click();
        assertEquals("5", b.driver.findElement(By.id("att-pattern")).getAttribute("data-head"));
        checkCell(pattern, 5, 9, 4);
        new Actions(b.driver).moveToElement(tokens.get(3)).perform();
        checkHighlights(tokens, pattern, 5, 3);
        assertEquals(8, b.driver.findElements(By.cssSelector("#att-grid canvas")).size());
        assertEquals("L1H5", b.driver.findElements(By.cssSelector("#att-grid figcaption")).get(5).getText());
        assertTrue(b.driver.findElement(By.id("att-detail")).getText().startsWith("L1H5"));
        // changing the layer redraws that layer's pattern
        b.select("att-layer", "0");
        b.waitFor("document.getElementById('att-pattern').dataset.layer === '0'", "attention");
        checkCell(pattern(prompt, 0), 5, 7, 2);
        assertEquals("", b.driver.findElement(By.id("attention-status")).getText(), "status cleared on success");
        b.assertNoVocabularyPieces();
        b.shot("attention-grid");
    }

    @Test
    void attentionReadsTo256Tokens() throws Exception {
        b.tab("attention");
        StringBuilder sb = new StringBuilder();
        while (ts.model.tokens(sb.toString()).length < 256) sb.append("Tom had a red ball and a blue kite. ");
        String prompt = sb.toString();
        while (ts.model.tokens(prompt).length > 256) prompt = prompt.substring(0, prompt.length() - 1);
        b.type("att-prompt", prompt);
        b.runAndWait("attention", "att-run");
        int n = ts.model.tokens(prompt).length;
        assertEquals(String.valueOf(n), b.driver.findElement(By.id("att-pattern")).getAttribute("data-n"));
        assertTrue(n >= 250, "prompt of " + n + " tokens");
        int cs = Integer.parseInt(b.driver.findElement(By.id("att-pattern")).getAttribute("data-cell"));
        assertTrue(cs >= 10, "cells of " + cs + " px are too small to read");
        assertEquals(n, b.driver.findElements(By.cssSelector("#att-pattern .queries > span")).size());
        assertTrue((Boolean) b.js("const s = document.querySelector('.pattern-scroll'); return s.scrollWidth > s.clientWidth"), "the pattern scrolls");
        checkCell(pattern(prompt, Integer.parseInt(b.driver.findElement(By.id("att-pattern")).getAttribute("data-layer"))),
                Integer.parseInt(b.driver.findElement(By.id("att-pattern")).getAttribute("data-head")), n - 1, n - 3);
        b.shot("attention-256");
        b.type("att-prompt", "Once upon a time, there was a little girl named Lily. She loved to play");
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
    void logitLensShowsTopFiveOnHoverWithALegend() throws Exception {
        b.tab("lens");
        b.runAndWait("lens", "lens-run");
        int layers = ts.model.transformer().config().nLayers();
        assertEquals(layers + 2, b.driver.findElements(By.cssSelector("#lens-table tr")).size());
        ObjectNode r = LoupeClient.request().put("prompt", b.driver.findElement(By.id("lens-prompt")).getAttribute("value")).put("topk", 5);
        JsonNode lens = ts.client.post("/v1/lens", r);
        WebElement cell = b.driver.findElements(By.cssSelector("#lens-table tr")).get(1).findElements(By.tagName("td")).get(2);
        String[] lines = cell.getAttribute("title").split("\n");
        assertEquals(5, lines.length);
        assertTrue(lines[0].startsWith(TokenText.visible(lens.get("top_tokens").get(0).get(1).get(0).asText())), lines[0]);
        assertEquals(lens.get("top_probs").get(0).get(1).get(0).floatValue(), Float.parseFloat(cell.getAttribute("data-prob")), 1e-6);
        assertEquals(5, b.driver.findElements(By.cssSelector("#lens-legend .ticks span")).size());
        b.assertNoVocabularyPieces();
        b.shot("logit-lens");
    }

    @Test
    void heatmapValuesLegendAndPerTabStatus() throws Exception {
        b.tab("heatmap");
        b.select("heat-hook", "blocks.0.mlp.hook_post");
        b.type("heat-neuron", "99999");
        b.driver.findElement(By.id("heat-run")).click();
        b.waitFor("document.getElementById('heatmap-status').classList.contains('error')", null);
        assertTrue(b.driver.findElement(By.id("heatmap-status")).getText().contains("outside"), "the error shows in its tab");
        assertEquals("", b.driver.findElement(By.id("lens-status")).getAttribute("textContent"), "other tabs keep their own status");
        b.type("heat-neuron", "3");
        b.runAndWait("heatmap", "heat-run");
        assertEquals("status", b.driver.findElement(By.id("heatmap-status")).getAttribute("class"), "the error is cleared on success");
        assertEquals("", b.driver.findElement(By.id("heatmap-status")).getText());
        List<WebElement> toks = b.driver.findElements(By.cssSelector("#heat-tokens .tok"));
        ObjectNode r = LoupeClient.request().put("prompt", b.driver.findElement(By.id("heat-prompt")).getAttribute("value"));
        r.putArray("cache").add("blocks.0.mlp.hook_post");
        Tensor post = ts.client.run(r).get("blocks.0.mlp.hook_post");
        for (int p = 0; p < toks.size(); p++) {
            assertEquals(post.get(p, 3), Float.parseFloat(toks.get(p).getAttribute("data-value")), "token " + p);
            assertEquals(String.format("%.2f", post.get(p, 3)), toks.get(p).findElement(By.tagName("small")).getText());
        }
        float max = 0;
        for (int p = 0; p < toks.size(); p++) max = Math.max(max, Math.abs(post.get(p, 3)));
        assertEquals(max, Float.parseFloat(b.driver.findElement(By.id("heat-legend")).getAttribute("data-to")), 1e-6);
        b.assertNoVocabularyPieces();
        b.shot("heatmap");
    }

    @Test
    void featuresOnTextSearchDashboardAndSteering() throws Exception {
        b.tab("features");
        b.select("feat-sae", "tiny");
        // features on this text: per-token top features, click through to a dashboard
        b.js("document.getElementById('feat-text-box').dataset.ready = ''");
        b.driver.findElement(By.id("feat-text-run")).click();
        b.waitFor("document.getElementById('feat-text-box').dataset.ready === '1'", "features");
        String text = b.driver.findElement(By.id("feat-text")).getAttribute("value");
        ObjectNode enc = LoupeClient.request().put("sae", "tiny").put("prompt", text).put("topk", 5);
        var top = ts.client.run(enc, "/v1/sae/encode");
        List<WebElement> toks = b.driver.findElements(By.cssSelector("#feat-text-tokens .tok"));
        assertEquals(top.get("top.values").size(0), toks.size());
        long[] idx = top.ints().get("top.indices"); // [pos, 5]
        if (top.get("top.values").get(4, 0) > 0) assertEquals(idx[4 * 5], Long.parseLong(toks.get(4).getAttribute("data-features").split(",")[0]));
        List<WebElement> chips = b.driver.findElements(By.cssSelector("#feat-text-list button"));
        assertTrue(chips.size() > 0);
        String chosen = chips.get(0).getAttribute("data-feature");
        b.js("document.getElementById('features').dataset.ready = ''");
        chips.get(0).click();
        b.waitFor("document.getElementById('features').dataset.ready === '1'", "features");
        assertEquals(chosen, b.driver.findElement(By.id("feat-id")).getAttribute("value"));
        b.shot("features-on-text");

        // the dashboard of the most frequent feature
        JsonNode topList = ts.client.get("/v1/saes/tiny/features");
        int id = topList.get("features").get(0).get("id").asInt();
        b.type("feat-id", Integer.toString(id));
        b.runAndWait("features", "feat-run");
        JsonNode f = ts.client.get("/v1/saes/tiny/features/" + id);
        List<WebElement> examples = b.driver.findElements(By.cssSelector("#feat-examples .example"));
        assertEquals(f.get("examples").size(), examples.size());
        assertTrue(b.driver.findElements(By.cssSelector("#feat-examples .band h4")).size() >= 1, "examples grouped in activation bands");
        JsonNode first = f.get("examples").get(0);
        List<WebElement> etoks = examples.get(0).findElements(By.cssSelector(".tok"));
        assertEquals(first.get("tokens").size(), etoks.size());
        int center = first.get("center").asInt();
        assertEquals(first.get("acts").get(center).floatValue(), Float.parseFloat(etoks.get(center).getAttribute("data-act")));
        assertTrue(etoks.get(center).getAttribute("class").contains("focus"));
        assertEquals(3, b.driver.findElements(By.cssSelector("#feat-pos li")).size());
        String svg = b.driver.findElement(By.cssSelector("#feat-hist svg")).getText();
        assertTrue(svg.contains("activation") && svg.contains("tokens"), "histogram axes are labelled: " + svg);
        assertEquals(f.get("histogram").size(), b.driver.findElements(By.cssSelector("#feat-hist svg rect")).size());
        assertEquals(Math.log10(f.get("frequency").asDouble()), Double.parseDouble(b.driver.findElement(By.id("feat-density")).getAttribute("data-log10")), 1e-9);
        b.assertNoVocabularyPieces();
        b.shot("feature-dashboard");

        // search by a token of its top context finds it
        String word = first.get("tokens").get(center).asText().trim();
        b.type("feat-query", word);
        b.driver.findElement(By.id("feat-search")).click();
        b.waitFor("document.getElementById('feat-results').dataset.query === arguments[0] || document.querySelectorAll('#feat-results li').length > 0".replace("arguments[0]", "'" + word.replace("'", "\\'") + "'"), "features");
        List<String> found = b.driver.findElements(By.cssSelector("#feat-results li")).stream().map(e -> e.getAttribute("data-feature")).toList();
        assertTrue(found.contains(Integer.toString(id)), "search for '" + word + "' found " + found);

        // steer with the feature from its page
        b.driver.findElement(By.id("feat-steer")).click();
        assertTrue(b.driver.findElement(By.id("steer")).getAttribute("class").contains("active"));
        assertEquals("sae:tiny:" + id, b.driver.findElement(By.id("steer-source")).getAttribute("value"));
        b.type("steer-max", "8");
        b.driver.findElement(By.id("steer-run")).click();
        b.waitFor("document.getElementById('steer-steered').dataset.done === '1'", "steer");
        assertTrue(b.driver.findElement(By.id("steer-norms")).getText().contains(TinySae.HOOK));
        b.shot("feature-steering");
    }
}
