package dev.loupe.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test
    void drawsFractionAmountFiguresAndEndsTheLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ProgressBar bar = new ProgressBar("sae eval", "tok", 0, out);
        int[] asked = {0};
        bar.update(12_345, 0.5, () -> "L0 " + ++asked[0]);
        bar.update(20_000, 0.75, () -> "L0 " + ++asked[0]); // within a quarter second of the first: not redrawn
        bar.finish();
        String text = bytes.toString(StandardCharsets.UTF_8);
        String[] draws = text.split("\r");
        assertEquals(3, draws.length, text); // "" before the first \r, the first draw, the final one
        assertTrue(draws[1].startsWith("sae eval [############            ]  50.0% 12.3k tok"), draws[1]);
        assertTrue(draws[1].contains("L0 1") && draws[1].contains("ETA"), draws[1]);
        assertTrue(draws[2].startsWith("sae eval [########################] 100.0% 20.0k tok") && draws[2].contains("L0 2"), draws[2]);
        assertTrue(text.endsWith(System.lineSeparator()), text);
        assertEquals(2, asked[0], "figures are computed only for lines drawn");
        assertTrue(text.chars().noneMatch(c -> c == 0x1b), "no escape codes");
    }

    @Test
    void aResumedJobCountsOnlyThisRunsWorkInItsRate() throws InterruptedException {
        ProgressBar bar = new ProgressBar("train", "steps", 1_000, new PrintStream(new ByteArrayOutputStream()));
        Thread.sleep(20);
        bar.update(1_010, 0.5);
        double rate = bar.rate();
        assertTrue(rate > 0 && rate < 10 / 0.02 + 1, "rate " + rate + " counts 10 steps, not 1,010");
    }
}
