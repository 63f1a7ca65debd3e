package dev.loupe.server;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Chromium on the web UI of a test server, for the browser tests: waits that fail on a UI error, screenshots
 * kept in server/target/ui-screenshots/, and the check that no vocabulary piece (Ġ, Ċ, ▁) reaches the page.
 * Skips the test without Debian's chromium and chromium-driver.
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SHOTS = Path.of("server/target/ui-screenshots");
    final ChromeDriver driver;

    /** Opens the UI of the server at {@code server}, enters the API key and waits until it has connected. */
    Browser(URI server, String key) throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER), "no chromium/chromedriver (apt-get install chromium chromium-driver); skipping");
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toString());
        o.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1400,1100", "--user-data-dir=" + Files.createTempDirectory("loupe-chromium"));
        driver = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build(), o);
        Files.createDirectories(SHOTS);
        driver.get(server.resolve("/ui/").toString());
        WebElement field = driver.findElement(By.id("api-key"));
        field.sendKeys(key);
        js("arguments[0].dispatchEvent(new Event('change'))", field);
        waitFor("document.body.dataset.ready === '1'", null); // the first load, before the key, fails with 401
        waitFor("document.getElementById('status').textContent === 'connected'", null);
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /** Waits up to 60 s for {@code condition}; fails at once if {@code tab}'s status line shows an error. */
    void waitFor(String condition, String tab) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Boolean.TRUE.equals(js("return " + condition))) {
            if (tab != null) {
                Object err = js("const s = document.getElementById(arguments[0] + '-status'); return s.classList.contains('error') ? s.textContent : null", tab);
                if (err != null) throw new AssertionError("UI error in " + tab + ": " + err);
            }
            if (System.nanoTime() > end) throw new AssertionError("timed out waiting for " + condition);
            Thread.sleep(50);
        }
    }

    /** Clicks {@code button} of {@code tab} and waits for the tab's data-ready flag. */
    void runAndWait(String tab, String button) throws InterruptedException {
        js("document.getElementById(arguments[0]).dataset.ready = ''", tab);
        driver.findElement(By.id(button)).click();
        waitFor("document.getElementById('" + tab + "').dataset.ready === '1'", tab);
    }

    void shot(String name) throws Exception {
        Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    void select(String id, String value) {
        js("const s = document.getElementById(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change'))", id, value);
    }

    void type(String id, String text) {
        WebElement e = driver.findElement(By.id(id));
        e.clear();
        e.sendKeys(text);
    }

    void tab(String name) {
        driver.findElement(By.cssSelector("nav button[data-tab='" + name + "']")).click();
    }

    /** The page's visible text holds no byte-level (Ġ, Ċ) or SentencePiece (▁) vocabulary symbol. */
    void assertNoVocabularyPieces() {
        String text = (String) js("return document.body.innerText");
        for (String piece : new String[] {"Ġ", "Ċ", "▁"}) {
            int at = text.indexOf(piece);
            if (at >= 0) throw new AssertionError("rendered text shows the vocabulary symbol " + piece + ": ..."
                    + text.substring(Math.max(0, at - 40), Math.min(text.length(), at + 40)) + "...");
        }
    }

    @Override
    public void close() {
        driver.quit();
    }
}
