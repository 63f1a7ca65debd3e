package dev.loupe.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.ProgressBar;
import dev.loupe.model.SharedModels;
import dev.loupe.sae.FeatureScan;
import dev.loupe.sae.ScanTarget;
import dev.loupe.sae.TextContexts;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.Transcoders;
import dev.loupe.server.circuits.ServedTranscoders;
import dev.loupe.server.api.Limits;
import dev.loupe.server.client.LoupeClient;
import dev.loupe.server.http.ApiKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The Graph tab in headless Chromium against a server on gpt2-tiny-random with the circuits-tiny skip transcoders:
 * the drawn graph is the API's, a clicked node lists its strongest links and (for a feature) its logit effects and top
 * contexts from a feature store scanned here, pinned nodes group into a supernode, and an
 * intervention shows the API's new top logits; QK attribution of a head's score lists the API's pairs and marks a clicked
 * pair's nodes. Skipped without Debian's chromium and chromium-driver.
 */
class GraphBrowserTest {
    static LoupeServer server;
    static LoupeClient client;
    static Browser browser;
    static ChromeDriver driver;
    @TempDir
    static Path stores;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(Browser.CHROMIUM) && Files.isExecutable(Browser.DRIVER), "no chromium/chromedriver; skipping");
        LoadedModel model = ModelLoader.load(SharedModels.path("gpt2-tiny-random").toString(), null);
        Transcoders tc = CircuitTracerFormat.read(SharedModels.path("circuits-tiny/plt-skip"));
        TextContexts texts = new TextContexts(List.of("The cat sat on the mat because it was warm and the sun was out.",
                "A dog ran to the park, and the children played with it until the evening came."), model.tokenizer(), 16);
        for (int l = 0; l < tc.nLayers(); l++) {
            FeatureScan.run(model.transformer(), model.tokenizer(), ScanTarget.of(model.transformer(), tc, l), texts, 2, 2, 5, 4, 3,
                    stores.resolve(ScanTarget.transcoderStore(l)), ProgressBar.silent());
        }
        server = new LoupeServer(model, "gpt2-tiny", List.of(), ServedTranscoders.load(SharedModels.path("circuits-tiny/plt-skip"), stores),
                new LoupeServer.Config("127.0.0.1", 0, ApiKeys.of(List.of(TestServer.KEY)), Limits.DEFAULT, 32, 256), line -> { });
        java.net.URI base = java.net.URI.create("http://127.0.0.1:" + server.port() + "/");
        client = new LoupeClient(base, TestServer.KEY);
        browser = new Browser(base, TestServer.KEY);
        driver = browser.driver;
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.close();
        if (server != null) server.close();
    }

    static Object js(String script, Object... args) {
        return browser.js(script, args);
    }

    static void waitFor(String condition) throws InterruptedException {
        browser.waitFor(condition, "graph");
    }

    static void click(String css) {
        js("document.querySelector(arguments[0]).dispatchEvent(new MouseEvent('click', {bubbles: true}))", css);
    }

    @Test
    void graphViewShowsPinsGroupsAndIntervenes() throws Exception {
        driver.findElement(By.cssSelector("nav button[data-tab='graph']")).click();
        String prompt = driver.findElement(By.id("graph-prompt")).getAttribute("value");
        for (String id : List.of("graph-node-t", "graph-edge-t")) { // random transcoders: keep enough features to click
            driver.findElement(By.id(id)).clear();
            driver.findElement(By.id(id)).sendKeys("0.99");
        }
        driver.findElement(By.id("graph-run")).click();
        waitFor("document.getElementById('graph').dataset.ready === '1'");
        JsonNode g = client.post("/v1/attribute", LoupeClient.request().put("prompt", prompt).put("node_threshold", 0.99).put("edge_threshold", 0.99));

        // the drawn graph is the API's: one circle per node, one line per link, tokens along the bottom
        assertEquals(g.get("nodes").size(), driver.findElements(By.cssSelector("#graph-svg circle.node")).size());
        assertEquals(g.get("links").size(), driver.findElements(By.cssSelector("#graph-svg line.link")).size());
        List<WebElement> labels = driver.findElements(By.cssSelector("#graph-svg text.tok-label"));
        assertEquals(g.get("metadata").get("prompt_tokens").size(), labels.size());
        assertEquals(0, g.get("metadata").get("prompt_ids").get(0).asInt() == 50256 ? 0 : 1, "BOS first");
        // token labels run left to right, embeddings sit below logits
        double x0 = Double.parseDouble(labels.get(0).getAttribute("x")), x1 = Double.parseDouble(labels.get(1).getAttribute("x"));
        assertTrue(x0 < x1);

        // click the feature with the most incoming links: its inputs are the API's strongest incoming links
        String feature = null;
        int most = -1;
        for (JsonNode n : g.get("nodes")) {
            if (!n.get("feature_type").asText().equals("cross layer transcoder")) continue;
            int in = incoming(g, n.get("node_id").asText()).size();
            if (in > most) {
                most = in;
                feature = n.get("node_id").asText();
            }
        }
        click("#graph-svg circle[data-id='" + feature + "']");
        waitFor("document.getElementById('graph').dataset.clicked === '" + feature + "'");
        List<JsonNode> in = incoming(g, feature);
        in.sort(Comparator.comparingDouble(l -> -Math.abs(l.get("weight").asDouble())));
        List<WebElement> inputs = driver.findElements(By.cssSelector("#graph-inputs li"));
        assertEquals(Math.min(10, in.size()), inputs.size());
        assertEquals(in.get(0).get("source").asText(), inputs.get(0).getAttribute("data-id"));
        assertEquals(in.get(0).get("weight").asDouble(), Double.parseDouble(inputs.get(0).getAttribute("data-weight")), 1e-6);
        String[] parts = feature.split("_");
        JsonNode info = client.get("/v1/transcoders/" + parts[0] + "/" + parts[1]);
        assertEquals(info.get("promotes").get(0).get("id").asText(), driver.findElement(By.cssSelector("#graph-promotes li")).getAttribute("data-id"));
        // its dashboard: the top contexts from its layer's feature store, in order, with the activating token marked
        JsonNode examples = info.get("dashboard").get("examples");
        assertTrue(examples.size() > 0, "the feature fired in the scanned text");
        List<WebElement> contexts = driver.findElements(By.cssSelector("#graph-contexts .example"));
        assertEquals(Math.min(8, examples.size()), contexts.size());
        for (int i = 0; i < contexts.size(); i++) {
            assertEquals(examples.get(i).get("activation").asDouble(), Double.parseDouble(contexts.get(i).getAttribute("data-activation")), 1e-9);
            List<WebElement> toks = contexts.get(i).findElements(By.cssSelector("span.tok"));
            assertEquals(examples.get(i).get("token_ids").size(), toks.size());
            assertTrue(toks.get(examples.get(i).get("center").asInt()).getAttribute("class").contains("focus"));
        }
        assertTrue(driver.findElement(By.id("graph-feature-stats")).getText().contains("fires on"));
        assertTrue(driver.findElement(By.cssSelector("#graph-svg circle[data-id='" + feature + "']")).getAttribute("class").contains("clicked"));

        // intervene: set the feature to 0 and see the API's new top logits
        driver.findElement(By.id("graph-value")).clear();
        driver.findElement(By.id("graph-value")).sendKeys("0");
        driver.findElement(By.id("graph-intervene")).click();
        waitFor("document.getElementById('graph').dataset.intervened === '1'");
        ObjectNode req = LoupeClient.request().put("top_k", 5).put("freeze_attention", false);
        var toks = req.putArray("tokens");
        g.get("metadata").get("prompt_ids").forEach(toks::add);
        req.putArray("edits").addObject().put("layer", Integer.parseInt(parts[0])).put("position", Integer.parseInt(parts[2]))
                .put("feature", Integer.parseInt(parts[1])).put("op", "set").put("value", 0.0);
        JsonNode r = client.post("/v1/features/intervene", req);
        List<WebElement> after = driver.findElements(By.cssSelector("#graph-logits li"));
        assertEquals(5, after.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(r.get("edited").get(i).get("id").asText(), after.get(i).getAttribute("data-id"));
            assertEquals(r.get("edited").get(i).get("prob").asDouble(), Double.parseDouble(after.get(i).getAttribute("data-value")), 1e-9);
        }
        assertEquals(r.get("clean").get(0).get("id").asText(), driver.findElement(By.cssSelector("#graph-clean li")).getAttribute("data-id"));

        // pin the feature and its strongest input, group them into a supernode
        driver.findElement(By.id("graph-pin")).click();
        String source = in.get(0).get("source").asText();
        click("#graph-inputs li[data-id='" + source + "']");
        waitFor("document.getElementById('graph').dataset.clicked === '" + source + "'");
        driver.findElement(By.id("graph-pin")).click();
        assertEquals(2, driver.findElements(By.cssSelector("#graph-pinned li")).size());
        assertEquals(2, driver.findElements(By.cssSelector("#graph-svg circle.pinned")).size());
        js("document.getElementById('graph-only-pinned').click()");
        assertEquals(2, driver.findElements(By.cssSelector("#graph-svg circle.node")).size(), "only the pinned subgraph is drawn");
        assertEquals(1, driver.findElements(By.cssSelector("#graph-svg line.link")).size());
        js("document.getElementById('graph-only-pinned').click()");
        driver.findElement(By.id("graph-group-name")).clear();
        driver.findElement(By.id("graph-group-name")).sendKeys("pair");
        driver.findElement(By.id("graph-group")).click();
        List<WebElement> supers = driver.findElements(By.cssSelector("#graph-svg circle.supernode"));
        assertEquals(1, supers.size());
        assertEquals(List.of(feature, source).stream().sorted().toList(),
                java.util.Arrays.stream(supers.get(0).getAttribute("data-members").split(",")).sorted().toList());
        assertEquals(0, driver.findElements(By.cssSelector("#graph-svg circle[data-id='" + feature + "']")).size(), "members are drawn as the supernode");
        assertEquals(g.get("nodes").size() - 1, driver.findElements(By.cssSelector("#graph-svg circle.node")).size());
        // the supernode's links: every link of a member to the outside, merged; none between the members
        for (WebElement l : driver.findElements(By.cssSelector("#graph-svg line.link"))) {
            assertTrue(!l.getAttribute("data-source").equals(feature) && !l.getAttribute("data-target").equals(feature));
        }
        assertTrue(driver.findElements(By.cssSelector("#graph-svg line.link[data-target^='super_pair']")).size() > 0);
        browser.assertNoVocabularyPieces();
        browser.shot("attribution-graph");
    }

    @Test
    void qkAttributionFromTheGraphView() throws Exception {
        driver.findElement(By.cssSelector("nav button[data-tab='graph']")).click();
        driver.findElement(By.id("graph-run")).click();
        waitFor("document.getElementById('graph').dataset.ready === '1'");
        int last = driver.findElements(By.cssSelector("#graph-svg text.tok-label")).size() - 1;
        assertEquals(String.valueOf(last), driver.findElement(By.id("qk-query")).getAttribute("value"), "the query starts at the last token");

        // choose positions by clicking tokens: plain click sets the key, shift-click the query
        js("document.querySelector(\"#graph-svg text.tok-label[data-pos='2']\").dispatchEvent(new MouseEvent('click', {bubbles: true}))");
        js("document.querySelector(\"#graph-svg text.tok-label[data-pos='" + (last - 1) + "']\").dispatchEvent(new MouseEvent('click', {bubbles: true, shiftKey: true}))");
        assertEquals("2", driver.findElement(By.id("qk-key")).getAttribute("value"));
        assertEquals(String.valueOf(last - 1), driver.findElement(By.id("qk-query")).getAttribute("value"));
        assertTrue(driver.findElement(By.cssSelector("#graph-svg text.tok-label[data-pos='2']")).getAttribute("class").contains("qk-key"));
        driver.findElement(By.id("qk-head")).clear();
        driver.findElement(By.id("qk-head")).sendKeys("3");
        driver.findElement(By.id("qk-run")).click();
        waitFor("document.getElementById('graph').dataset.qk === '1'");

        // the listed pairs are the API's, in order, with their values
        ObjectNode req = LoupeClient.request().put("layer", 1).put("head", 3).put("query_position", last - 1).put("key_position", 2).put("top_k", 10);
        JsonNode g = client.post("/v1/attribute", LoupeClient.request().put("prompt", driver.findElement(By.id("graph-prompt")).getAttribute("value")));
        var toks = req.putArray("tokens");
        g.get("metadata").get("prompt_ids").forEach(toks::add);
        JsonNode r = client.post("/v1/attribute/qk", req);
        assertEquals(r.get("score").asDouble(), Double.parseDouble(driver.findElement(By.id("qk-score")).getAttribute("data-score")), 1e-9);
        List<WebElement> pairs = driver.findElements(By.cssSelector("#qk-pairs li"));
        assertEquals(r.get("pairs").size(), pairs.size());
        assertTrue(pairs.size() > 0);
        for (int i = 0; i < pairs.size(); i++) {
            JsonNode p = r.get("pairs").get(i);
            assertEquals(p.get("query").get("node_id").asText(), pairs.get(i).getAttribute("data-query"));
            assertEquals(p.get("key").get("node_id").asText(), pairs.get(i).getAttribute("data-key"));
            assertEquals(p.get("value").asDouble(), Double.parseDouble(pairs.get(i).getAttribute("data-value")), 1e-9);
        }
        assertEquals(r.get("query_sources").get(0).get("node_id").asText(), driver.findElement(By.cssSelector("#qk-query-sources li")).getAttribute("data-id"));
        assertEquals(r.get("key_sources").get(0).get("node_id").asText(), driver.findElement(By.cssSelector("#qk-key-sources li")).getAttribute("data-id"));

        // clicking a pair marks its two nodes in the graph (each where the pruned graph kept it); prefer a pair with a drawn node
        java.util.Set<String> drawn = new java.util.HashSet<>();
        for (WebElement c : driver.findElements(By.cssSelector("#graph-svg circle.node"))) drawn.add(c.getAttribute("data-id"));
        int pick = 0;
        for (int i = 0; i < pairs.size(); i++) {
            if (drawn.contains(pairs.get(i).getAttribute("data-query")) || drawn.contains(pairs.get(i).getAttribute("data-key"))) {
                pick = i;
                break;
            }
        }
        String q = pairs.get(pick).getAttribute("data-query"), k = pairs.get(pick).getAttribute("data-key");
        pairs.get(pick).click();
        waitFor("document.getElementById('graph').dataset.qkPair === '" + q + "|" + k + "'");
        assertEquals(drawn.contains(q) ? List.of(q) : List.of(), driver.findElements(By.cssSelector("#graph-svg circle.qk-query")).stream().map(e -> e.getAttribute("data-id")).toList());
        assertEquals(drawn.contains(k) ? List.of(k) : List.of(), driver.findElements(By.cssSelector("#graph-svg circle.qk-key")).stream().map(e -> e.getAttribute("data-id")).toList());
        assertTrue(drawn.contains(q) || drawn.contains(k), "some top pair has a node in the drawn graph");
        assertTrue(driver.findElements(By.cssSelector("#qk-pairs li.selected")).size() == 1);
        browser.shot("attribution-graph-qk");
    }

    private static List<JsonNode> incoming(JsonNode g, String id) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode l : g.get("links")) if (l.get("target").asText().equals(id)) out.add(l);
        return out;
    }
}
