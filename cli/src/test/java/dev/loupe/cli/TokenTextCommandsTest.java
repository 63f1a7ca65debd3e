package dev.loupe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.model.SharedModels;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Tokens as people read them on the command line: tokenize --strings, detokenize, generation's stop reason, non-ASCII under LANG=C. */
class TokenTextCommandsTest {
    static final String MODEL = "models/loupe-brown-2l-mlp";

    @Test
    void tokenizeShowsEachTokensTextAndDetokenizeInvertsIt() {
        CliRunner ids = CliRunner.run("tokenize", "--model", MODEL, "--text", "The jury said\nit");
        assertEquals(0, ids.exitCode(), ids.err());
        CliRunner strings = CliRunner.run("tokenize", "--model", MODEL, "--text", "The jury said\nit", "--strings");
        List<String> lines = strings.out().lines().toList();
        String[] idList = ids.out().trim().split(",");
        assertEquals(idList.length, lines.size(), strings.out());
        for (int i = 0; i < lines.size(); i++) {
            String[] cols = lines.get(i).trim().split("\\s+", 3);
            assertEquals(Integer.toString(i), cols[0]);
            assertEquals(idList[i], cols[1]);
        }
        assertFalse(strings.out().contains("Ġ") || strings.out().contains("Ċ"), strings.out());
        assertTrue(strings.out().contains("·said") && strings.out().contains("↵"), strings.out());
        CliRunner back = CliRunner.run("detokenize", "--model", MODEL, "--ids", ids.out().trim());
        assertEquals("The jury said\nit\n", back.out());
        CliRunner bad = CliRunner.run("detokenize", "--model", MODEL, "--ids", "1,999999");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("id 999999 is outside the vocabulary"), bad.err());
    }

    @Test
    void generationSaysWhyItStopped() {
        CliRunner r = CliRunner.run("generate", "--model", MODEL, "--prompt", "The jury", "--max-tokens", "5");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("(stopped after 5 tokens (--max-tokens))"), r.err());
        CliRunner full = CliRunner.run("generate", "--model", SharedModels.path("gpt2-tiny-random").toString(), "--prompt", " x".repeat(120), "--max-tokens", "50");
        assertTrue(full.err().contains("context of 128 tokens is full"), full.err());
    }

    @Test
    void nonAsciiArgumentsSurviveTheCLocale() throws Exception {
        String text = "naïve café ☃";
        String want = CliRunner.run("tokenize", "--model", MODEL, "--text", text, "--strings").out();
        ProcessBuilder pb = new ProcessBuilder("./loupe", "tokenize", "--model", MODEL, "--text", text, "--strings");
        pb.environment().put("LANG", "C");
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("LOUPE_CLASSPATH", System.getProperty("java.class.path"));
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String got = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        assertEquals(want, got);
        assertTrue(got.contains("☃") || got.contains("<0x"), got);
    }

}
